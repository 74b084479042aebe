//! One postgres server process over a data directory, listening only on a unix socket.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::binaries::PgBin;
use super::cleanup::{self, Process};
use super::user::ServerUser;
use super::{ClusterError, PORT};

const SPEED_SETTINGS: &[(&str, &str)] = &[
    ("listen_addresses", ""),
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("wal_level", "minimal"),
    ("max_wal_senders", "0"),
    ("autovacuum", "off"),
    ("jit", "off"),
    ("max_connections", "64"),
    // Dynamic shared memory as files in the data directory, not /dev/shm/PostgreSQL.*:
    // removed with the run directory even when the server is killed outright.
    ("dynamic_shared_memory_type", "mmap"),
    ("max_locks_per_transaction", "512"),
    ("shared_buffers", "64MB"),
    ("unix_socket_permissions", "0777"),
    ("log_min_messages", "warning"),
    ("log_min_error_statement", "panic"),
    ("logging_collector", "off"),
];

pub struct Server {
    pub pid: i32,
    process: Arc<Process>,
    keeper: Option<JoinHandle<()>>,
}

pub fn initdb(bin: &PgBin, data: &Path, user: Option<ServerUser>) -> Result<(), ClusterError> {
    let mut cmd = Command::new(bin.initdb());
    cmd.arg("-D")
        .arg(data)
        .args([
            "-U",
            "supabase_admin",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--wal-segsize=1",
        ])
        .stdin(Stdio::null());
    as_server_user(&mut cmd, user);
    let out = cmd
        .output()
        .map_err(|e| ClusterError::io(format!("running {}", bin.initdb().display()), e))?;
    if !out.status.success() {
        let mut log = String::from_utf8_lossy(&out.stderr).into_owned();
        log.push_str(&String::from_utf8_lossy(&out.stdout));
        return Err(ClusterError::Initdb {
            log: log.trim().to_string(),
        });
    }
    Ok(())
}

/// After a clean shutdown, drops the WAL segments the template does not need (one is kept),
/// so each run copies less.
pub fn reset_wal(bin: &PgBin, data: &Path, user: Option<ServerUser>) -> Result<(), ClusterError> {
    let mut cmd = Command::new(bin.dir.join("pg_resetwal"));
    cmd.arg("-D").arg(data).stdin(Stdio::null());
    as_server_user(&mut cmd, user);
    match cmd.output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(ClusterError::Initdb {
            log: format!(
                "pg_resetwal: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        }),
        // Some packagings ship no pg_resetwal: the template is then only larger.
        Err(_) => Ok(()),
    }
}

impl Server {
    /// Starts postgres on `run_dir/data` with its socket in `run_dir`, and waits until it
    /// accepts connections. The process is spawned from a keeper thread that lives as long as
    /// the server, so on Linux the server also dies with us (PR_SET_PDEATHSIG) if we are
    /// killed outright.
    pub fn start(
        bin: &PgBin,
        run_dir: &Path,
        user: Option<ServerUser>,
    ) -> Result<Server, ClusterError> {
        let data = run_dir.join("data");
        let log_path = run_dir.join("postgres.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| ClusterError::io("creating the server log", e))?;
        if let Some(u) = user {
            let _ = std::os::unix::fs::chown(&log_path, Some(u.uid), Some(u.gid));
        }
        let mut cmd = Command::new(bin.postgres());
        cmd.arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(run_dir)
            .args(["-p", &PORT.to_string()]);
        for (k, v) in SPEED_SETTINGS {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        // Supabase preloads pg_stat_statements; its views fail without it.
        if bin.dir.join("../lib/pg_stat_statements.so").is_file() {
            cmd.arg("-c")
                .arg("shared_preload_libraries=pg_stat_statements");
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
        as_server_user(&mut cmd, user);
        die_with_parent(&mut cmd);

        let (started_tx, started_rx) = mpsc::channel();
        let (exited_tx, exited_rx) = mpsc::channel();
        let keeper = std::thread::Builder::new()
            .name("postgres-keeper".into())
            .spawn(move || match cmd.spawn() {
                Ok(mut child) => {
                    let process = Process::new(child.id() as i32);
                    let _ = started_tx.send(Ok(Arc::clone(&process)));
                    wait_without_reaping(process.pid);
                    let mut status = String::new();
                    process
                        .reap(|| status = child.wait().map(|s| s.to_string()).unwrap_or_default());
                    let _ = exited_tx.send(status);
                }
                Err(e) => {
                    let _ = started_tx.send(Err(e));
                }
            })
            .map_err(|e| ClusterError::io("spawning the keeper thread", e))?;
        let process = match started_rx.recv() {
            Ok(Ok(process)) => process,
            Ok(Err(e)) => {
                return Err(ClusterError::io(
                    format!("starting {}", bin.postgres().display()),
                    e,
                ))
            }
            Err(_) => {
                return Err(ClusterError::Start {
                    log: "the keeper thread died".into(),
                })
            }
        };
        cleanup::register_server(&process, run_dir);
        let server = Server {
            pid: process.pid,
            process,
            keeper: Some(keeper),
        };

        let deadline = Instant::now() + Duration::from_secs(30);
        let pid_file = data.join("postmaster.pid");
        loop {
            if let Ok(status) = exited_rx.try_recv() {
                drop(server);
                return Err(ClusterError::Start {
                    log: format!("postgres exited ({status}):\n{}", read_log(&log_path)),
                });
            }
            if is_ready(&pid_file) {
                return Ok(server);
            }
            if let Err(interrupted) = crate::interrupt::check() {
                drop(server);
                return Err(interrupted.into());
            }
            if Instant::now() > deadline {
                drop(server);
                return Err(ClusterError::Start {
                    log: format!("not ready after 30 s:\n{}", read_log(&log_path)),
                });
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    }

    /// Fast shutdown (a clean checkpoint): for the template, which must start without
    /// crash recovery.
    pub fn stop_clean(mut self) {
        self.stop(libc::SIGINT);
    }

    fn stop(&mut self, signal: i32) {
        self.process.stop(signal, Duration::from_secs(10));
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
        cleanup::unregister_server(&self.process);
    }

    /// False once the server process has exited (killed, crashed).
    pub fn is_running(&self) -> bool {
        !self.process.has_exited()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.keeper.is_some() {
            self.stop(libc::SIGQUIT);
        }
    }
}

/// postmaster.pid's 8th line says `ready` once connections are accepted.
fn is_ready(pid_file: &Path) -> bool {
    std::fs::read_to_string(pid_file)
        .map(|s| s.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
        .unwrap_or(false)
}

fn read_log(path: &PathBuf) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    text.trim().to_string()
}

/// Runs the server's programs as the server user when we are root, in a process group of
/// their own: a Ctrl-C at the terminal reaches rlsgate only, which stops them in order.
fn as_server_user(cmd: &mut Command, user: Option<ServerUser>) {
    if let Some(u) = user {
        cmd.uid(u.uid).gid(u.gid);
    }
    cmd.process_group(0);
}

/// Blocks until `pid` (our child) has exited, leaving it unreaped, so its pid stays ours
/// until [`Process::reap`].
fn wait_without_reaping(pid: i32) {
    loop {
        // SAFETY: waitid fills the zeroed siginfo we own; WNOWAIT leaves the child waitable.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe; it runs after the uid switch, which would
    // otherwise clear the death signal.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}
