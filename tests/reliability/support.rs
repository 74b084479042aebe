//! What the reliability tests share: private run and cache roots, process and directory
//! checks, a small seeded random source.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A run root (`RLSGATE_RUN_DIR`) and cache (`RLSGATE_CACHE_DIR`) of the test's own, so that
/// "nothing left behind" is checked on this test's runs only.
pub struct Sandbox {
    pub runs: tempfile::TempDir,
    pub cache: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let runs = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        // Writable by every user (sticky, like /tmp): the runs of a second OS user share it.
        for dir in [runs.path(), cache.path()] {
            std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o1777))
                .unwrap();
        }
        Sandbox { runs, cache }
    }

    pub fn command(&self, project: &Path) -> Command {
        let mut cmd = crate::common::bin();
        cmd.env("RLSGATE_RUN_DIR", self.runs.path())
            .env("RLSGATE_CACHE_DIR", self.cache.path())
            .arg("--project")
            .arg(project);
        cmd
    }

    /// Run directories still in the run root.
    pub fn leftovers(&self) -> Vec<PathBuf> {
        entries(self.runs.path())
    }

    /// Processes whose command line names the run root (a postgres of one of our runs).
    pub fn processes(&self) -> Vec<String> {
        processes_naming(self.runs.path())
    }
}

pub fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

pub fn processes_naming(path: &Path) -> Vec<String> {
    let needle = path.to_string_lossy().into_owned();
    entries(Path::new("/proc"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().chars().all(|c| c.is_ascii_digit()))
        })
        .filter_map(|p| {
            let cmdline = std::fs::read(p.join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let zombie = std::fs::read_to_string(p.join("stat")).is_ok_and(|s| {
                s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            });
            (cmdline.contains(&needle) && !zombie).then_some(cmdline)
        })
        .collect()
}

/// Waits up to `seconds` for `done`.
pub fn eventually(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    done()
}

/// Whether `pid` has its handlers for SIGINT and SIGTERM (the `SigCgt` mask of
/// /proc/PID/status): before that, a signal is the kernel's business, not rlsgate's.
pub fn handles_signals(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| {
            let bit = |s: i32| 1u64 << (s - 1);
            mask & bit(libc::SIGINT) != 0 && mask & bit(libc::SIGTERM) != 0
        })
}

pub fn signal(pid: u32, signal: i32) {
    // SAFETY: signalling a child this test spawned and has not reaped.
    unsafe { libc::kill(pid as i32, signal) };
}

/// xorshift64*, seeded from the clock (printed, so a failure can be replayed with
/// `RLSGATE_TEST_SEED`).
pub struct Random(u64);

impl Random {
    pub fn new(what: &str) -> Random {
        let seed = std::env::var("RLSGATE_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            })
            | 1;
        eprintln!("{what}: RLSGATE_TEST_SEED={seed}");
        Random(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `low..high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low).max(1)
    }
}
