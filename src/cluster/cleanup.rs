//! Never an orphaned postgres, a leftover directory, or another run disturbed.
//!
//! Every run directory is registered before its first byte is written, and every server as
//! soon as it is spawned; `Drop` tears them down in order, and the signal watcher or the
//! process's exit does it for whatever is still registered. A run directory holds
//! `rlsgate.lock`, locked (flock) by its run for its whole life: a later run removes only
//! directories whose lock nobody holds, that its own user created, in its own PID namespace.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

pub(crate) const LOCK_FILE: &str = "rlsgate.lock";

/// A process we spawned. Its pid is signalled only while the keeper has not reaped it, so a
/// pid the kernel may have handed to someone else is never signalled.
pub(super) struct Process {
    pub pid: i32,
    exited: Mutex<bool>,
    changed: Condvar,
}

impl Process {
    pub(super) fn new(pid: i32) -> Arc<Process> {
        Arc::new(Process {
            pid,
            exited: Mutex::new(false),
            changed: Condvar::new(),
        })
    }

    /// Called by the keeper when the process has exited, before and after reaping it: the
    /// flag is set with the lock held, and the reaping happens under the same lock.
    pub(super) fn reap(&self, reap: impl FnOnce()) {
        let mut exited = self.exited.lock().unwrap_or_else(|p| p.into_inner());
        *exited = true;
        reap();
        self.changed.notify_all();
    }

    pub(super) fn has_exited(&self) -> bool {
        *self.exited.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn signal(&self, signal: i32) {
        let exited = self.exited.lock().unwrap_or_else(|p| p.into_inner());
        if !*exited {
            // SAFETY: the process is ours and not yet reaped (we hold the lock the keeper
            // reaps under), so the pid is still its.
            unsafe { libc::kill(self.pid, signal) };
        }
    }

    fn wait(&self, patience: Duration) -> bool {
        let exited = self.exited.lock().unwrap_or_else(|p| p.into_inner());
        let (exited, _) = self
            .changed
            .wait_timeout_while(exited, patience, |e| !*e)
            .unwrap_or_else(|p| p.into_inner());
        *exited
    }

    /// Sends `signal` and waits for the exit; SIGKILL after `patience`.
    pub(super) fn stop(&self, signal: i32, patience: Duration) {
        self.signal(signal);
        if !self.wait(patience) {
            self.signal(libc::SIGKILL);
            self.wait(Duration::from_secs(10));
        }
    }
}

struct Server {
    process: Arc<Process>,
    socket_dir: PathBuf,
}

#[derive(Default)]
struct Registry {
    servers: Vec<Server>,
    dirs: Vec<PathBuf>,
}

static LIVE: Mutex<Registry> = Mutex::new(Registry {
    servers: Vec::new(),
    dirs: Vec::new(),
});
static AT_EXIT: Once = Once::new();

fn lock() -> MutexGuard<'static, Registry> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn at_exit() {
    AT_EXIT.call_once(|| {
        // SAFETY: registering a plain extern "C" fn with no captured state.
        unsafe { libc::atexit(teardown_at_exit) };
    });
}

extern "C" fn teardown_at_exit() {
    teardown_all();
}

pub(super) fn register_dir(dir: &Path) {
    at_exit();
    lock().dirs.push(dir.to_path_buf());
}

pub(super) fn unregister_dir(dir: &Path) {
    lock().dirs.retain(|d| d != dir);
}

/// A directory registered for removal by the signal watcher or at exit, unregistered on drop
/// (its owner removes it itself).
pub(super) struct Registered(PathBuf);

impl Registered {
    pub(super) fn dir(dir: &Path) -> Registered {
        register_dir(dir);
        Registered(dir.to_path_buf())
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        unregister_dir(&self.0);
    }
}

pub(super) fn register_server(process: &Arc<Process>, socket_dir: &Path) {
    at_exit();
    lock().servers.push(Server {
        process: Arc::clone(process),
        socket_dir: socket_dir.to_path_buf(),
    });
}

pub(super) fn unregister_server(process: &Process) {
    lock().servers.retain(|s| s.process.pid != process.pid);
}

/// Stops every registered server and removes every registered directory.
pub fn teardown_all() {
    let live = std::mem::take(&mut *lock());
    for s in &live.servers {
        s.process.stop(libc::SIGQUIT, Duration::from_secs(5));
    }
    for dir in &live.dirs {
        remove_shared_memory(&dir.join("data"));
        remove_dir(dir);
    }
}

/// Cancels the statement each client of our servers is running (after a signal, so that a
/// sleeping statement returns at once instead of at its timeout).
pub fn cancel_statements() {
    let sockets: Vec<PathBuf> = lock()
        .servers
        .iter()
        .filter(|s| !s.process.has_exited())
        .map(|s| s.socket_dir.clone())
        .collect();
    for socket in sockets {
        let mut config = postgres::Config::new();
        config
            .host_path(&socket)
            .port(super::PORT)
            .user(crate::supabase::SUPERUSER)
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(1))
            .application_name("rlsgate-cancel");
        if let Ok(mut client) = config.connect(postgres::NoTls) {
            let _ = client.batch_execute(
                "select pg_cancel_backend(pid) from pg_stat_activity \
                 where pid <> pg_backend_pid() and backend_type = 'client backend'",
            );
        }
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

/// The lock a run holds on its directory for as long as it lives.
pub(super) struct RunLock {
    _file: File,
}

/// Creates `dir/rlsgate.lock`, locks it and records this process's PID namespace in it.
pub(super) fn lock_run_dir(dir: &Path) -> std::io::Result<RunLock> {
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(dir.join(LOCK_FILE))?;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    writeln!(
        file,
        "pid {}\npidns {}",
        std::process::id(),
        pid_namespace().unwrap_or(0)
    )?;
    Ok(RunLock { _file: file })
}

/// This process's PID namespace (the inode of /proc/self/ns/pid).
fn pid_namespace() -> Option<u64> {
    std::fs::metadata("/proc/self/ns/pid").ok().map(|m| m.ino())
}

/// The directory's lock, taken, when its run is provably dead: its lock file was created by
/// this user, in this PID namespace, and no process holds the lock. Otherwise why it is left
/// alone.
fn claim_dead(dir: &Path) -> Result<File, &'static str> {
    let lock_path = dir.join(LOCK_FILE);
    let meta = std::fs::symlink_metadata(&lock_path).map_err(|_| "no lock file")?;
    // SAFETY: geteuid has no preconditions.
    if !meta.is_file() || meta.uid() != unsafe { libc::geteuid() } {
        return Err("another user's run");
    }
    let file = File::open(&lock_path).map_err(|_| "unreadable lock file")?;
    // SAFETY: flock on a descriptor we own; LOCK_NB never blocks.
    if unsafe {
        libc::flock(
            std::os::fd::AsRawFd::as_raw_fd(&file),
            libc::LOCK_EX | libc::LOCK_NB,
        )
    } != 0
    {
        return Err("a live run holds its lock");
    }
    let text = std::fs::read_to_string(&lock_path).unwrap_or_default();
    let namespace = text
        .lines()
        .find_map(|l| l.strip_prefix("pidns "))
        .and_then(|n| n.trim().parse::<u64>().ok());
    match (namespace, pid_namespace()) {
        (Some(theirs), Some(ours)) if theirs == ours && ours != 0 => Ok(file),
        _ => Err("another PID namespace's run"),
    }
}

/// Removes the directories named `prefix*` under `root` whose run is provably gone (killed
/// outright: SIGKILL, power loss), stopping their postgres first when it is provably theirs
/// and still running.
pub(super) fn sweep_stale(root: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let dir = entry.path();
        let Ok(_held) = claim_dead(&dir) else {
            continue;
        };
        let data = dir.join("data");
        if let Some(pid) = postmaster_pid(&data) {
            if !stop_orphan(pid, &data) {
                continue;
            }
        }
        remove_shared_memory(&data);
        remove_dir(&dir);
    }
}

/// Stops the postgres `pid` if it is provably the server of `data` (its command line names
/// `data`, checked through a pidfd so the check and the signal reach the same process).
/// False when a process of that pid runs and cannot be proven ours: then nothing is touched.
fn stop_orphan(pid: i32, data: &Path) -> bool {
    // SAFETY: pidfd_open takes a pid and flags; it returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    if fd < 0 {
        return std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    }
    // SAFETY: the descriptor was just opened by us and is closed exactly once, by OwnedFd.
    let pidfd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let names_data = args.windows(2).any(|w| {
        w[0] == b"-D"
            && Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(w[1]))
                == data
    });
    if !names_data {
        return false;
    }
    let raw = std::os::fd::AsRawFd::as_raw_fd(&pidfd);
    // SAFETY: pidfd_send_signal on the pidfd we hold: it can only reach the process the pidfd
    // was opened for.
    unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            raw,
            libc::SIGQUIT,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut poll = libc::pollfd {
        fd: raw,
        events: libc::POLLIN,
        revents: 0,
    };
    while Instant::now() < deadline {
        // SAFETY: polling our pidfd: readable once the process has exited.
        if unsafe { libc::poll(&mut poll, 1, 100) } > 0 {
            return true;
        }
    }
    false
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

/// Removes the System V shared memory segment a postgres killed outright (kill -9, the OOM
/// killer) leaves behind: the one `postmaster.pid` names, if its key matches and nothing is
/// attached to it any more.
pub(super) fn remove_shared_memory(data: &Path) {
    let Ok(text) = std::fs::read_to_string(data.join("postmaster.pid")) else {
        return;
    };
    let Some(line) = text.lines().nth(6) else {
        return;
    };
    let mut parts = line.split_whitespace();
    let (Some(Ok(key)), Some(Ok(id))) = (
        parts.next().map(str::parse::<i64>),
        parts.next().map(str::parse::<i32>),
    ) else {
        return;
    };
    // SAFETY: IPC_STAT fills the zeroed struct we own.
    let mut stat: libc::shmid_ds = unsafe { std::mem::zeroed() };
    if unsafe { libc::shmctl(id, libc::IPC_STAT, &mut stat) } != 0 {
        return;
    }
    if i64::from(stat.shm_perm.__key) == key && stat.shm_nattch == 0 {
        // SAFETY: removing the segment we just identified; nothing is attached.
        unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
    }
}
