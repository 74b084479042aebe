//! SIGINT and SIGTERM at any point of a run end it with 130 or 143, never a misdiagnosis, and
//! leave no run directory, no postgres and no half-published template behind.
//!
//! The interrupts are aimed by the run's progress, not the clock (the machine's load varies):
//! each run prints its phase timings (`RLSGATE_TIMINGS`), and the signal goes out a random
//! moment after the n-th phase has ended, n spread over every phase of the run.

use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use crate::common;
use crate::support::{entries, handles_signals, Random, Sandbox};

/// Each cooperative check of the run sleeps this long (`RLSGATE_TEST_SLOW_MS`): every phase
/// lasts long enough to be hit.
const SLOW_MS: &str = "15";
const INTERRUPTS: usize = 50;
const WORKERS: usize = 6;
/// The signal goes out up to this long after the phase the interrupt aims at has begun.
const DELAY_MS: u64 = 150;

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Template copied from the cache.
    Warm,
    /// Empty cache: initdb, bootstrap, publication of the template.
    Cold,
    /// `--no-cache`: initdb and bootstrap, nothing published.
    NoCache,
}

/// Three warm runs for each cold and each `--no-cache` one, aimed at their start-up (initdb,
/// bootstrap, publication), where they differ from a warm run.
const MODES: [Mode; 5] = [
    Mode::Warm,
    Mode::Warm,
    Mode::Cold,
    Mode::Warm,
    Mode::NoCache,
];

/// The phases a run finished, in order (its timing lines, the final total left out).
fn phases(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("timing: "))
        .filter(|l| !l.starts_with("total"))
        .map(|l| l.rsplit_once(": ").map_or(l, |(name, _)| name).to_string())
        .collect()
}

struct Aim {
    /// Phases to wait for before the delay starts.
    after: usize,
    delay: Duration,
    signal: i32,
    /// To the whole process group, as Ctrl-C at a terminal.
    group: bool,
}

struct Outcome {
    mode: Mode,
    signal: i32,
    code: Option<i32>,
    stderr: String,
}

/// One run of the demo's gate; with `aim`, signalled as it says. `None` when the run had
/// finished before its signal could go out.
fn run(sandbox: &Sandbox, mode: Mode, aim: Option<&Aim>) -> Option<Outcome> {
    let fresh_cache = tempfile::tempdir_in(sandbox.cache.path()).unwrap();
    let mut cmd = sandbox.command(&common::repo());
    cmd.env("RLSGATE_TEST_SLOW_MS", SLOW_MS)
        .env("RLSGATE_TIMINGS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0);
    match mode {
        Mode::Warm => {}
        Mode::Cold => {
            cmd.env("RLSGATE_CACHE_DIR", fresh_cache.path());
        }
        Mode::NoCache => {
            cmd.arg("--no-cache");
        }
    }
    let mut child = cmd.arg("test").spawn().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.starts_with("timing: ") {
                let _ = lines_tx.send(());
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    while !handles_signals(child.id()) && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut signal = 0;
    if let Some(aim) = aim {
        let reached = (0..aim.after).all(|_| lines.recv().is_ok());
        std::thread::sleep(aim.delay);
        if !reached || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = reader.join();
            return None;
        }
        let target = if aim.group {
            -(child.id() as i32)
        } else {
            child.id() as i32
        };
        // SAFETY: the child this test spawned and has not reaped (or its process group).
        unsafe { libc::kill(target, aim.signal) };
        signal = aim.signal;
    }
    let status = child.wait().unwrap();
    let stderr = reader.join().unwrap();
    // A signal that reached a run already past its last check (its final timing line is
    // printed there) did not interrupt anything: that run is run again.
    if signal != 0 && status.code() == Some(0) && stderr.contains("timing: total") {
        return None;
    }
    let staging: Vec<_> = entries(fresh_cache.path())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".staging-")
        })
        .collect();
    assert!(staging.is_empty(), "{mode:?} left {staging:?}\n{stderr}");
    Some(Outcome {
        mode,
        signal,
        code: status.code(),
        stderr,
    })
}

#[test]
fn fifty_interrupts_anywhere_exit_130_or_143_and_leave_nothing() {
    let sandbox = Sandbox::new();
    // One uninterrupted run per mode: which phases it goes through. The first, on the
    // sandbox's empty cache, is a cold run that fills it for the warm runs.
    let cold = run(&sandbox, Mode::Warm, None).unwrap();
    assert_eq!(cold.code, Some(0), "{}", cold.stderr);
    let [warm, no_cache] = std::thread::scope(|scope| {
        [Mode::Warm, Mode::NoCache]
            .map(|mode| {
                let sandbox = &sandbox;
                scope.spawn(move || {
                    let outcome = run(sandbox, mode, None).unwrap();
                    assert_eq!(outcome.code, Some(0), "{mode:?}: {}", outcome.stderr);
                    phases(&outcome.stderr)
                })
            })
            .map(|h| h.join().unwrap())
    });
    let timelines = [warm, phases(&cold.stderr), no_cache];
    eprintln!("phases (warm, cold, no cache): {timelines:?}");
    let start_up = |t: &[String]| t.iter().position(|p| p == "start + migrate").unwrap_or(0);

    let random = Mutex::new(Random::new("interrupts"));
    let next = AtomicUsize::new(0);
    let missed = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= INTERRUPTS {
                    break;
                }
                let mode = MODES[i % MODES.len()];
                let timeline = match mode {
                    Mode::Warm => &timelines[0],
                    Mode::Cold => &timelines[1],
                    Mode::NoCache => &timelines[2],
                };
                let phases = match mode {
                    Mode::Warm => timeline.len() - 1,
                    Mode::Cold | Mode::NoCache => start_up(timeline) + 1,
                };
                let outcome = loop {
                    let mut random = random.lock().unwrap();
                    let aim = Aim {
                        after: random.between(0, phases as u64) as usize,
                        delay: Duration::from_millis(random.between(0, DELAY_MS)),
                        signal: if i.is_multiple_of(2) {
                            libc::SIGINT
                        } else {
                            libc::SIGTERM
                        },
                        group: i % 4 < 2,
                    };
                    drop(random);
                    match run(&sandbox, mode, Some(&aim)) {
                        Some(outcome) => break outcome,
                        None => {
                            // Never more than a few: a run that ignored its signal looks
                            // the same, and must fail the test.
                            let misses = missed.fetch_add(1, Ordering::SeqCst) + 1;
                            assert!(
                                misses <= INTERRUPTS / 5,
                                "{misses} runs ended before their signal"
                            );
                        }
                    }
                };
                outcomes.lock().unwrap().push(outcome);
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap();
    let mut hit = std::collections::BTreeMap::<String, usize>::new();
    for o in &outcomes {
        let last = phases(&o.stderr).last().cloned();
        *hit.entry(last.unwrap_or_else(|| "(none yet)".into()))
            .or_default() += 1;
    }
    eprintln!("last phase finished when the signal came: {hit:?}");
    eprintln!(
        "runs that finished before their signal (run again): {}",
        missed.into_inner()
    );
    let wrong: Vec<String> = outcomes
        .iter()
        .filter(|o| o.code != Some(128 + o.signal))
        .map(|o| {
            format!(
                "{:?} signal {}: exit {:?}\n{}",
                o.mode, o.signal, o.code, o.stderr
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {INTERRUPTS}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    let codes: Vec<i32> = outcomes.iter().filter_map(|o| o.code).collect();
    eprintln!(
        "{INTERRUPTS} interrupts: {} exited 130, {} exited 143",
        codes.iter().filter(|c| **c == 130).count(),
        codes.iter().filter(|c| **c == 143).count()
    );
    assert!(sandbox.leftovers().is_empty(), "{:?}", sandbox.leftovers());
    assert!(sandbox.processes().is_empty(), "{:?}", sandbox.processes());
}
