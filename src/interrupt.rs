//! Ctrl-C, SIGTERM and SIGHUP, cooperatively. The signal handler only records the signal and
//! wakes a watcher thread. The work sees it at its next check (between probes, migration
//! files, start-up phases), stops with [`Interrupted`], and unwinds: each server is torn down
//! by its owner's `Drop`, after the last query. The watcher cancels the statements in flight
//! (a sleeping migration or policy returns at once), and only if the work has not stopped
//! within [`GRACE`], or on a second signal, tears everything down itself and exits.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

/// How long the work has to stop by itself after a signal.
pub const GRACE: Duration = Duration::from_secs(5);

static SIGNAL: AtomicI32 = AtomicI32::new(0);
static WAKE: AtomicI32 = AtomicI32::new(-1);
static EXIT_CODE: AtomicI32 = AtomicI32::new(-1);
static INSTALL: Once = Once::new();
static CANCEL_HOOKS: Mutex<Vec<(u64, postgres::CancelToken)>> = Mutex::new(Vec::new());
static NEXT_HOOK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The work stopped because a signal asked it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by {}", signal_name(*.0))]
pub struct Interrupted(pub i32);

/// Installs the handlers for SIGINT, SIGTERM and SIGHUP and starts the watcher thread.
pub fn install() {
    INSTALL.call_once(|| {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: pipe2 writes two descriptors into the array we own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return;
        }
        WAKE.store(fds[1], Ordering::SeqCst);
        let reader = fds[0];
        if std::thread::Builder::new()
            .name("signal-watcher".into())
            .spawn(move || watch(reader))
            .is_err()
        {
            return;
        }
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: a zeroed sigaction with our handler; the handler only touches atomics
            // and write(2), both async-signal-safe.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as *const () as usize;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    });
}

extern "C" fn on_signal(signal: libc::c_int) {
    let _ = SIGNAL.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    let fd = WAKE.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = signal as u8;
        // SAFETY: write(2) of one byte from the stack is async-signal-safe.
        unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    }
}

/// The first signal received, if any.
pub fn signal() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// `Err(Interrupted)` once a signal arrived: the work stops here.
///
/// With `RLSGATE_TEST_SLOW_MS=N` each check first sleeps N ms: a test-only knob that stretches
/// every phase of a run so that interrupts can be aimed at all of them (it changes nothing
/// else).
pub fn check() -> Result<(), Interrupted> {
    if let Some(pause) = test_pause() {
        std::thread::sleep(pause);
    }
    match signal() {
        Some(s) => Err(Interrupted(s)),
        None => Ok(()),
    }
}

fn test_pause() -> Option<Duration> {
    static PAUSE: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    *PAUSE.get_or_init(|| {
        std::env::var("RLSGATE_TEST_SLOW_MS")
            .ok()
            .and_then(|ms| ms.trim().parse().ok())
            .map(Duration::from_millis)
    })
}

/// The exit code after a signal: 128 + the signal number (130 for SIGINT, 143 for SIGTERM),
/// unless a command made ending by signal its normal end (`rlsgate db`: 0).
pub fn exit_code() -> Option<u8> {
    let signal = signal()?;
    Some(match EXIT_CODE.load(Ordering::SeqCst) {
        code @ 0..=255 => code as u8,
        _ => (128 + signal).clamp(0, 255) as u8,
    })
}

/// Makes a signal the normal end of the command, with this exit code.
pub fn set_exit_code(code: u8) {
    EXIT_CODE.store(code.into(), Ordering::SeqCst);
}

/// Blocks until a signal arrives or `stop` says so, checking `stop` every `every`.
pub fn wait_for_signal(every: Duration, mut stop: impl FnMut() -> bool) -> Result<(), Interrupted> {
    loop {
        check()?;
        if stop() {
            return Ok(());
        }
        std::thread::sleep(every);
    }
}

/// Cancels the statement `token`'s connection runs when a signal arrives, until the returned
/// guard is dropped (for connections to databases that are not our own cluster).
pub fn cancel_on_signal(token: postgres::CancelToken) -> CancelGuard {
    let id = NEXT_HOOK.fetch_add(1, Ordering::SeqCst);
    hooks().push((id, token));
    CancelGuard(id)
}

pub struct CancelGuard(u64);

impl Drop for CancelGuard {
    fn drop(&mut self) {
        hooks().retain(|(id, _)| *id != self.0);
    }
}

fn hooks() -> std::sync::MutexGuard<'static, Vec<(u64, postgres::CancelToken)>> {
    CANCEL_HOOKS.lock().unwrap_or_else(|p| p.into_inner())
}

fn watch(reader: RawFd) {
    if !read_byte(reader, None) {
        return;
    }
    crate::cluster::cleanup::cancel_statements();
    let tokens: Vec<postgres::CancelToken> = hooks().iter().map(|(_, t)| t.clone()).collect();
    for token in tokens {
        let _ = token.cancel_query(postgres::NoTls);
    }
    // A second signal, or the grace period over: the work did not stop by itself.
    read_byte(reader, Some(GRACE));
    crate::cluster::cleanup::teardown_all();
    let code = exit_code().unwrap_or(130);
    // SAFETY: _exit ends the process without running destructors on other threads' data.
    unsafe { libc::_exit(code.into()) };
}

/// Waits for one byte on `fd`, at most `timeout`; false when the pipe is gone.
fn read_byte(fd: RawFd, timeout: Option<Duration>) -> bool {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
    loop {
        // SAFETY: one pollfd we own.
        let ready = unsafe { libc::poll(&mut poll, 1, ms) };
        if ready < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if ready <= 0 {
            return false;
        }
        let mut byte = 0u8;
        // SAFETY: reads one byte into a local.
        return unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) } == 1;
    }
}

pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}
