//! The template cache: an initdb'd, Supabase-bootstrapped data directory, keyed by the
//! Postgres version and a hash of the bootstrap, copied per run so only the first run pays
//! for initdb. Publication is an atomic rename, so concurrent runs never see half a template;
//! the staging directory is registered for removal (an interrupt removes it) and locked, so a
//! later run removes one whose publisher was killed outright.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::binaries::PgBin;
use super::cleanup;
use super::user::ServerUser;
use super::ClusterError;

/// Bumped whenever the layout or the server settings baked into the template change.
const FORMAT: &str = "rlsgate-template-v2";

const STAGING_PREFIX: &str = ".staging-";

pub fn root() -> PathBuf {
    if let Some(dir) = std::env::var_os("RLSGATE_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("rlsgate")
}

pub fn key(bin: &PgBin) -> String {
    let mut h = Sha256::new();
    h.update(FORMAT);
    h.update(bin.version.as_bytes());
    h.update(bin.dir.to_string_lossy().as_bytes());
    h.update(crate::supabase::BOOTSTRAP_SQL.as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("pg{}-{hex}", bin.version)
}

pub fn lookup(bin: &PgBin) -> Option<PathBuf> {
    let dir = root().join(key(bin));
    dir.join("PG_VERSION").is_file().then_some(dir)
}

/// Copies a finished template data directory into the cache.
pub fn publish(bin: &PgBin, data: &Path) -> Result<PathBuf, ClusterError> {
    let root = root();
    std::fs::create_dir_all(&root)
        .map_err(|e| ClusterError::io(format!("creating cache dir {}", root.display()), e))?;
    let final_dir = root.join(key(bin));
    cleanup::sweep_stale(&root, STAGING_PREFIX);
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(&root)
        .map_err(|e| ClusterError::io("creating a cache staging dir", e))?;
    let _registered = cleanup::Registered::dir(staging.path());
    let _lock = cleanup::lock_run_dir(staging.path())
        .map_err(|e| ClusterError::io("locking the cache staging dir", e))?;
    let staged = staging.path().join("data");
    copy_tree(data, &staged, None)
        .map_err(|e| ClusterError::io("filling the template cache", e))?;
    crate::interrupt::check()?;
    match std::fs::rename(&staged, &final_dir) {
        Ok(()) => {
            prune(&root, &final_dir);
            Ok(final_dir)
        }
        Err(_) if final_dir.join("PG_VERSION").is_file() => Ok(final_dir),
        Err(e) => Err(ClusterError::io(
            format!("publishing the template to {}", final_dir.display()),
            e,
        )),
    }
}

/// Removes templates of other keys (an older rlsgate or bootstrap) unused for a day.
fn prune(root: &Path, keep: &Path) {
    let day = std::time::Duration::from_secs(24 * 3600);
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if path != keep && stale && entry.file_name().to_string_lossy().starts_with("pg") {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

pub fn clear() -> std::io::Result<PathBuf> {
    let root = root();
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    Ok(root)
}

/// Copies a data directory, keeping modes, skipping the server's runtime files, and giving
/// the copy to `owner` when we run as root. Files are copied on several threads: a data
/// directory is hundreds of small files, so the copy is bound by system calls, not bytes.
pub fn copy_tree(src: &Path, dst: &Path, owner: Option<ServerUser>) -> std::io::Result<()> {
    let mut files = Vec::new();
    make_dirs(src, dst, owner, &mut files)?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let files = &files;
                scope.spawn(move || -> std::io::Result<()> {
                    for (from, to) in files.iter().skip(w).step_by(workers) {
                        std::fs::copy(from, to)?;
                        if let Some(u) = owner {
                            std::os::unix::fs::lchown(to, Some(u.uid), Some(u.gid))?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("copy thread"))
    })
}

/// Creates `dst` and its sub-directories like `src`'s, and lists the files to copy.
fn make_dirs(
    src: &Path,
    dst: &Path,
    owner: Option<ServerUser>,
    files: &mut Vec<(PathBuf, PathBuf)>,
) -> std::io::Result<()> {
    std::fs::create_dir(dst)?;
    std::fs::set_permissions(dst, std::fs::metadata(src)?.permissions())?;
    if let Some(u) = owner {
        std::os::unix::fs::lchown(dst, Some(u.uid), Some(u.gid))?;
    }
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "postmaster.pid" || name == "postmaster.opts" {
            continue;
        }
        let to = dst.join(&name);
        if entry.file_type()?.is_dir() {
            make_dirs(&entry.path(), &to, owner, files)?;
        } else {
            files.push((entry.path(), to));
        }
    }
    Ok(())
}
