//! Finding the Postgres server binaries with no configuration.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ClusterError;

/// A directory holding `initdb` and `postgres`, and the server's version.
#[derive(Debug, Clone)]
pub struct PgBin {
    pub dir: PathBuf,
    /// e.g. `15.18`
    pub version: String,
}

impl PgBin {
    pub fn initdb(&self) -> PathBuf {
        self.dir.join("initdb")
    }

    pub fn postgres(&self) -> PathBuf {
        self.dir.join("postgres")
    }

    pub fn major(&self) -> u32 {
        self.version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }
}

/// Every place looked at, in order: `$RLSGATE_PG_BIN` (one directory, or several separated
/// like `PATH`), `pg_config --bindir`, `PATH`, `/usr/lib/postgresql/*/bin` newest first,
/// Homebrew, Postgres.app, and pg-embed's download cache. The first installation of major
/// version `wanted` wins; without one (or when none is installed), the first found.
pub fn find(wanted: Option<u32>) -> Result<PgBin, ClusterError> {
    if let Some(list) = std::env::var_os("RLSGATE_PG_BIN") {
        let dirs: Vec<(&str, PathBuf)> = std::env::split_paths(&list)
            .map(|d| ("$RLSGATE_PG_BIN", d))
            .collect();
        return select(dirs, wanted).map_err(|searched| ClusterError::BinariesNotFound {
            searched: vec![format!(
                "$RLSGATE_PG_BIN={} (no initdb/postgres there): {}",
                list.to_string_lossy(),
                searched.join(", ")
            )],
        });
    }
    match select(candidates(), wanted) {
        Ok(bin) => Ok(bin),
        Err(searched) => fallback(searched),
    }
}

/// The installation to use among `dirs`, or every place looked at.
fn select(dirs: Vec<(&str, PathBuf)>, wanted: Option<u32>) -> Result<PgBin, Vec<String>> {
    let mut searched = Vec::new();
    let mut first = None;
    for (label, dir) in dirs {
        match probe(&dir) {
            Some(bin) if wanted.is_none_or(|v| bin.major() == v) => return Ok(bin),
            Some(bin) => {
                first.get_or_insert(bin);
            }
            None => searched.push(format!("{label}: {}", dir.display())),
        }
    }
    first.ok_or(searched)
}

#[cfg(feature = "download")]
fn fallback(searched: Vec<String>) -> Result<PgBin, ClusterError> {
    let unpacked = super::embed::download().and_then(|(dir, source)| {
        probe(&dir).ok_or_else(|| {
            format!(
                "{source} was unpacked to {} but holds no initdb/postgres",
                dir.display()
            )
        })
    });
    unpacked.map_err(|reason| ClusterError::DownloadFailed { searched, reason })
}

#[cfg(not(feature = "download"))]
fn fallback(searched: Vec<String>) -> Result<PgBin, ClusterError> {
    Err(ClusterError::BinariesNotFound { searched })
}

fn candidates() -> Vec<(&'static str, PathBuf)> {
    let mut dirs = Vec::new();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
            dirs.push(("pg_config --bindir", PathBuf::from(dir)));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("postgres").is_file() {
                dirs.push(("PATH", dir));
            }
        }
    }
    dirs.extend(
        versioned("/usr/lib/postgresql", "", "bin")
            .into_iter()
            .map(|d| ("Debian/Ubuntu", d)),
    );
    for prefix in ["/opt/homebrew", "/usr/local"] {
        dirs.extend(
            newest_prefixed(&format!("{prefix}/opt"), "postgresql@", "bin")
                .map(|d| ("Homebrew", d)),
        );
        dirs.push((
            "Homebrew",
            PathBuf::from(format!("{prefix}/opt/postgresql/bin")),
        ));
    }
    dirs.extend(
        newest_versioned("/Applications/Postgres.app/Contents/Versions", "bin")
            .map(|d| ("Postgres.app", d)),
    );
    dirs.extend(newest_versioned("/usr/pgsql-16", "").map(|d| ("RHEL", d)));
    if let Some(cache) = dirs::cache_dir() {
        let embed = cache
            .join("pg-embed")
            .join(std::env::consts::OS)
            .join(std::env::consts::ARCH);
        dirs.extend(
            newest_versioned(embed.to_str().unwrap_or_default(), "bin")
                .map(|d| ("pg-embed cache", d)),
        );
    }
    dirs
}

/// `<root>/<highest numeric child>/<suffix>`
fn newest_versioned(root: &str, suffix: &str) -> Option<PathBuf> {
    newest_prefixed(root, "", suffix)
}

fn newest_prefixed(root: &str, prefix: &str, suffix: &str) -> Option<PathBuf> {
    versioned(root, prefix, suffix).into_iter().next()
}

/// `<root>/<prefix><version>/<suffix>` for every numeric version, newest first.
fn versioned(root: &str, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut found: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(prefix)?;
            let key: Vec<u32> = rest
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            Some((key, e.path().join(suffix)))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, p)| p).collect()
}

pub(super) fn probe(dir: &Path) -> Option<PgBin> {
    if !dir.join("initdb").is_file() || !dir.join("postgres").is_file() {
        return None;
    }
    let out = Command::new(dir.join("postgres"))
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    Some(PgBin {
        dir: dir.to_path_buf(),
        version: version.to_string(),
    })
}

pub const INSTALL_HELP: &str = "Install the PostgreSQL server (15 or newer), then run again:\n  \
Debian/Ubuntu: apt-get install postgresql\n  \
macOS:         brew install postgresql@16   (or Postgres.app)\n  \
Fedora/RHEL:   dnf install postgresql-server\n\
or point RLSGATE_PG_BIN at the directory holding initdb and postgres,\n\
or build rlsgate with `--features download` to fetch binaries with pg-embed,\n\
or use an existing database with --db-url.";
