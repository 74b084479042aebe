//! Never an orphaned postgres or a leftover directory: every live cluster is registered
//! here, and is torn down by `Drop`, by the Ctrl-C/SIGTERM handler, or at process exit.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

struct Live {
    pid: i32,
    dir: PathBuf,
}

static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());
static AT_EXIT: Once = Once::new();
static INTERRUPT_EXIT: AtomicI32 = AtomicI32::new(130);

/// The exit code after Ctrl-C or SIGTERM (130 by default; `rlsgate db` makes it 0, since
/// Ctrl-C is how it is meant to end).
pub fn set_interrupt_exit_code(code: i32) {
    INTERRUPT_EXIT.store(code, Ordering::SeqCst);
}

pub fn install_signal_handlers() {
    let _ = ctrlc::set_handler(|| {
        teardown_all();
        std::process::exit(INTERRUPT_EXIT.load(Ordering::SeqCst));
    });
}

pub(super) fn register(pid: i32, dir: &Path) {
    AT_EXIT.call_once(|| {
        // SAFETY: registering a plain extern "C" fn with no captured state.
        unsafe { libc::atexit(teardown_at_exit) };
    });
    lock().push(Live {
        pid,
        dir: dir.to_path_buf(),
    });
}

pub(super) fn unregister(pid: i32) {
    lock().retain(|l| l.pid != pid);
}

extern "C" fn teardown_at_exit() {
    teardown_all();
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Live>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn teardown_all() {
    let live: Vec<Live> = std::mem::take(&mut *lock());
    for l in &live {
        kill_and_wait(l.pid, libc::SIGQUIT, Duration::from_secs(5));
    }
    for l in &live {
        remove_dir(&l.dir);
    }
}

/// Removes a run directory, retrying while exiting server processes still write into it.
pub(super) fn remove_dir(dir: &Path) {
    for _ in 0..200 {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound && dir.exists() => {
                std::thread::sleep(Duration::from_millis(10))
            }
            _ => return,
        }
    }
}

/// Sends `signal` and waits until `pid` is gone; escalates to SIGKILL after `patience`.
pub(super) fn kill_and_wait(pid: i32, signal: i32, patience: Duration) {
    // SAFETY: kill with a pid we started; a stale pid only yields ESRCH.
    unsafe { libc::kill(pid, signal) };
    let start = Instant::now();
    while alive(pid) {
        if start.elapsed() > patience {
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

pub(super) fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    exists && !is_zombie(pid)
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .map(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Removes run directories left by an rlsgate process that was killed outright (SIGKILL,
/// power loss). Each run directory records its owner's pid in `rlsgate.pid`.
pub(super) fn sweep_stale(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(super::RUN_DIR_PREFIX) {
            continue;
        }
        let owner = std::fs::read_to_string(entry.path().join("rlsgate.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        if let Some(pid) = owner {
            if !alive(pid) {
                if let Some(pg) = postmaster_pid(&entry.path().join("data")) {
                    kill_and_wait(pg, libc::SIGQUIT, Duration::from_secs(2));
                }
                remove_dir(&entry.path());
            }
        }
    }
}

pub(super) fn postmaster_pid(data: &Path) -> Option<i32> {
    std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}
