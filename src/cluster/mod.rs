//! A throwaway Postgres: found binaries, a per-run directory under the temp dir with the
//! data and the unix socket (no TCP port, so parallel runs never collide), a cached
//! template, and teardown on drop, error, panic, Ctrl-C and SIGTERM.

mod binaries;
pub mod cache;
pub mod cleanup;
#[cfg(feature = "download")]
mod embed;
mod server;
mod user;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use binaries::{find as find_binaries, PgBin, INSTALL_HELP};

/// The port every server listens on: each has its own socket directory, so none collide.
pub const PORT: u16 = 5432;
use server::Server;
use user::ServerUser;

pub(crate) const RUN_DIR_PREFIX: &str = "rlsgate-";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no PostgreSQL server binaries found. Looked in:\n{}\n\n{INSTALL_HELP}", bullet(.searched))]
    BinariesNotFound { searched: Vec<String> },
    #[error("no PostgreSQL server binaries found locally (looked in:\n{}\n) and downloading them with pg-embed failed: {reason}\n\n{INSTALL_HELP}", bullet(.searched))]
    DownloadFailed {
        searched: Vec<String>,
        reason: String,
    },
    #[error("initdb failed:\n{log}")]
    Initdb { log: String },
    #[error("postgres did not start: {log}")]
    Start { log: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("applying the Supabase emulation failed: {0}")]
    Bootstrap(#[source] postgres::Error),
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
}

impl ClusterError {
    fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ClusterError::Io {
            context: context.into(),
            source,
        }
    }
}

fn bullet(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("  - {s}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Skip the template cache: initdb and bootstrap from scratch, cache nothing.
    pub no_cache: bool,
    /// Prefer server binaries of this major version (`[db] major_version`) when installed.
    pub major_version: Option<u32>,
}

/// How the cluster came up, for progress output and benchmarks.
#[derive(Debug, Clone, Copy)]
pub struct StartReport {
    pub template_cached: bool,
    pub elapsed: Duration,
}

/// A running, Supabase-bootstrapped Postgres. Dropping it stops the server and removes
/// its directory.
pub struct Cluster {
    run_dir: PathBuf,
    server: Option<Server>,
    _lock: cleanup::RunLock,
    pub bin: PgBin,
    pub report: StartReport,
    /// What did not work as it should but did not stop the run (an unwritable cache).
    pub warnings: Vec<String>,
}

impl Cluster {
    pub fn start(opts: &ClusterOptions) -> Result<Cluster, ClusterError> {
        let started = Instant::now();
        let bin = binaries::find(opts.major_version)?;
        let user = user::server_user();
        let tmp = run_root();
        cleanup::sweep_stale(&tmp, RUN_DIR_PREFIX);

        let cached = if opts.no_cache {
            None
        } else {
            cache::lookup(&bin)
        };
        let template_cached = cached.is_some();
        crate::interrupt::check()?;
        let (run_dir, lock) = new_run_dir(&tmp, user)?;
        let mut cluster = Cluster {
            run_dir,
            server: None,
            _lock: lock,
            bin,
            report: StartReport {
                template_cached,
                elapsed: Duration::ZERO,
            },
            warnings: Vec::new(),
        };
        let data = cluster.run_dir.join("data");
        let phase = |name: &str, since: Instant| crate::terminal::timing(name, since);
        match cached {
            Some(template) => {
                let t = Instant::now();
                cache::copy_tree(&template, &data, user)
                    .map_err(|e| ClusterError::io("copying the cached template", e))?;
                phase("cluster: template copy", t);
                crate::interrupt::check()?;
                let t = Instant::now();
                cluster.server = Some(Server::start(&cluster.bin, &cluster.run_dir, user)?);
                phase("cluster: server start", t);
            }
            None => {
                let t = Instant::now();
                server::initdb(&cluster.bin, &data, user)?;
                phase("cluster: initdb", t);
                crate::interrupt::check()?;
                let t = Instant::now();
                cluster.server = Some(Server::start(&cluster.bin, &cluster.run_dir, user)?);
                phase("cluster: server start", t);
                let t = Instant::now();
                cluster.bootstrap()?;
                phase("cluster: bootstrap", t);
                if !opts.no_cache {
                    let t = Instant::now();
                    if let Some(server) = cluster.server.take() {
                        server.stop_clean();
                    }
                    server::reset_wal(&cluster.bin, &data, user)?;
                    crate::interrupt::check()?;
                    if let Err(e) = cache::publish(&cluster.bin, &data) {
                        cluster.warnings.push(format!(
                            "the template cache is not usable ({e}); this run and later ones start without it \
                             (set RLSGATE_CACHE_DIR to a writable directory, or pass --no-cache)"
                        ));
                    }
                    phase("cluster: template publication", t);
                    crate::interrupt::check()?;
                    let t = Instant::now();
                    cluster.server = Some(Server::start(&cluster.bin, &cluster.run_dir, user)?);
                    phase("cluster: server restart", t);
                }
            }
        }
        cluster.report.elapsed = started.elapsed();
        Ok(cluster)
    }

    fn bootstrap(&self) -> Result<(), ClusterError> {
        let mut client = self
            .connect(crate::supabase::SUPERUSER)
            .map_err(ClusterError::Bootstrap)?;
        client
            .batch_execute(crate::supabase::BOOTSTRAP_SQL)
            .map_err(ClusterError::Bootstrap)?;
        // A smaller template is a faster copy per run: template0 only serves restores into
        // fresh databases, which migrations never do.
        for sql in [
            "update pg_database set datistemplate = false where datname = 'template0'",
            "drop database template0",
            "vacuum freeze",
            "checkpoint",
        ] {
            client.batch_execute(sql).map_err(ClusterError::Bootstrap)?;
        }
        Ok(())
    }

    pub fn socket_dir(&self) -> &Path {
        &self.run_dir
    }

    pub fn config(&self, user: &str) -> postgres::Config {
        let mut config = postgres::Config::new();
        config
            .host_path(&self.run_dir)
            .port(PORT)
            .user(user)
            .dbname("postgres")
            .application_name("rlsgate");
        config
    }

    pub fn connect(&self, user: &str) -> Result<postgres::Client, postgres::Error> {
        self.config(user).connect(postgres::NoTls)
    }

    /// A libpq URI, e.g. `postgresql://postgres@/postgres?host=/tmp/rlsgate-x&port=5432`.
    pub fn url(&self, user: &str) -> String {
        format!(
            "postgresql://{user}@/postgres?host={}&port={}",
            self.run_dir.display(),
            PORT
        )
    }

    pub fn pid(&self) -> Option<i32> {
        self.server.as_ref().map(|s| s.pid)
    }

    /// False once the server has died (killed outright, crashed).
    pub fn is_running(&self) -> bool {
        self.server.as_ref().is_some_and(Server::is_running)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        drop(self.server.take());
        cleanup::remove_shared_memory(&self.run_dir.join("data"));
        cleanup::remove_dir(&self.run_dir);
        cleanup::unregister_dir(&self.run_dir);
    }
}

/// Where run directories go: `$RLSGATE_RUN_DIR`, else `/dev/shm` when it is a writable tmpfs
/// with room (copying the template and removing it afterwards are then memory operations,
/// not disk I/O), else the temp dir.
pub fn run_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("RLSGATE_RUN_DIR") {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    if has_room(shm, 512 << 20) {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

fn has_room(dir: &Path, bytes: u64) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statvfs writes into the zeroed struct we own; the path is NUL-terminated.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return false;
    }
    // SAFETY: access only checks permissions on the NUL-terminated path.
    let writable = unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) } == 0;
    writable && (stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64) >= bytes
}

/// A fresh run directory, registered for removal before anything is written into it, and
/// locked (`rlsgate.lock`, owned by us) for as long as this run lives.
fn new_run_dir(
    tmp: &Path,
    user: Option<ServerUser>,
) -> Result<(PathBuf, cleanup::RunLock), ClusterError> {
    let dir = tempfile::Builder::new()
        .prefix(RUN_DIR_PREFIX)
        .tempdir_in(tmp)
        .map_err(|e| ClusterError::io(format!("creating a run directory in {}", tmp.display()), e))?
        .keep();
    cleanup::register_dir(&dir);
    let ready = (|| {
        std::fs::write(dir.join("rlsgate.pid"), std::process::id().to_string())
            .map_err(|e| ClusterError::io("writing the run directory's owner", e))?;
        if let Some(u) = user {
            user::chown_tree(&dir, u)
                .map_err(|e| ClusterError::io("handing the run directory to the server user", e))?;
        }
        cleanup::lock_run_dir(&dir).map_err(|e| ClusterError::io("locking the run directory", e))
    })();
    match ready {
        Ok(lock) => Ok((dir, lock)),
        Err(e) => {
            cleanup::remove_dir(&dir);
            cleanup::unregister_dir(&dir);
            Err(e)
        }
    }
}
