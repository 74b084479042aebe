//! A project on disk: its migrations in order (the files the Supabase CLI applies), its seed
//! files, its Supabase settings, and where its specs and fixtures live.

use std::path::{Path, PathBuf};

use crate::supabase::config::{self, ApiConfig, DbConfig};

#[derive(Debug, Clone)]
pub struct SqlFile {
    /// Relative to the project root where possible, for messages.
    pub path: PathBuf,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub migrations_dir: PathBuf,
    pub migrations: Vec<SqlFile>,
    /// What `supabase start` seeds: `[db.seed] sql_paths` (default `supabase/seed.sql`), in
    /// order; empty when `[db.seed] enabled = false`.
    pub seeds: Vec<SqlFile>,
    pub api: ApiConfig,
    pub db: DbConfig,
    /// Files in the migrations folder the Supabase CLI skips, and seed patterns that match
    /// nothing: one sentence each, for the run's warnings.
    pub notes: Vec<String>,
    /// Those skipped files that could be read: a later failure on an object one of them
    /// creates names it.
    pub unapplied: Vec<SqlFile>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("project directory {0} does not exist")]
    NoRoot(PathBuf),
    #[error("no migrations found: looked for *.sql in {}", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and "))]
    NoMigrations(Vec<PathBuf>),
    #[error(
        "no migration to apply: none of the {count} *.sql files in {} is named \
         `<timestamp>_name.sql` (e.g. {example}), so the Supabase CLI applies none of them; \
         rename them `<YYYYMMDDHHMMSS>_name.sql` in the order they apply",
        .dir.display()
    )]
    NoneApplied {
        dir: PathBuf,
        count: usize,
        example: String,
    },
    #[error("cannot read {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid UTF-8 at byte offset {offset} (line {line}); migrations must be UTF-8 text")]
    NotUtf8 {
        path: PathBuf,
        offset: usize,
        line: u32,
    },
    #[error(transparent)]
    Config(#[from] config::ConfigError),
}

impl Project {
    pub fn load(root: &Path) -> Result<Project, ProjectError> {
        if !root.is_dir() {
            return Err(ProjectError::NoRoot(root.to_path_buf()));
        }
        let supabase = root.join("supabase");
        let candidates = [supabase.join("migrations"), root.join("migrations")];
        let mut migrations_dir = None;
        for dir in &candidates {
            if has_sql(dir) {
                migrations_dir = Some(dir.clone());
                break;
            }
        }
        let Some(migrations_dir) = migrations_dir else {
            return Err(ProjectError::NoMigrations(candidates.to_vec()));
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&migrations_dir)
            .map_err(|source| ProjectError::Unreadable {
                path: migrations_dir.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql") && p.is_file())
            .collect();
        paths.sort();
        let mut notes = Vec::new();
        let mut skipped = Vec::new();
        if migrations_dir == candidates[0] {
            paths.retain(|p| {
                let applies = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_cli_migration_name);
                if !applies {
                    notes.push(format!(
                        "{}: not applied: the Supabase CLI applies only files named `<timestamp>_name.sql` \
                         (it skips this one); rename it to apply it, or move it out of supabase/migrations",
                        p.strip_prefix(root).unwrap_or(p).display()
                    ));
                    skipped.push(p.clone());
                }
                applies
            });
        }
        let unapplied = skipped
            .iter()
            .filter_map(|p| read_sql(root, p).ok())
            .collect();
        if paths.is_empty() {
            return Err(ProjectError::NoneApplied {
                dir: migrations_dir
                    .strip_prefix(root)
                    .unwrap_or(&migrations_dir)
                    .to_path_buf(),
                count: skipped.len(),
                example: skipped
                    .first()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            });
        }
        let migrations = paths
            .iter()
            .map(|p| read_sql(root, p))
            .collect::<Result<Vec<_>, _>>()?;
        let config_path = supabase.join("config.toml");
        let config = if config_path.is_file() {
            config::load_all(&config_path)?
        } else {
            config::SupabaseConfig::default()
        };
        let mut seeds = Vec::new();
        if config.db.seed_enabled {
            for pattern in &config.db.seed_paths {
                let found = glob(&supabase, pattern);
                if found.is_empty()
                    && config_path.is_file()
                    && config.db.seed_paths != DbConfig::default().seed_paths
                {
                    notes.push(format!(
                        "{}: [db.seed] sql_paths: no file matches `{pattern}` (relative to supabase/)",
                        config_path.strip_prefix(root).unwrap_or(&config_path).display()
                    ));
                }
                for path in found {
                    if !seeds
                        .iter()
                        .any(|s: &SqlFile| s.path == path.strip_prefix(root).unwrap_or(&path))
                    {
                        seeds.push(read_sql(root, &path)?);
                    }
                }
            }
        }
        Ok(Project {
            root: root.to_path_buf(),
            migrations_dir,
            migrations,
            seeds,
            api: config.api,
            db: config.db,
            notes,
            unapplied,
        })
    }

    pub fn specs_dir(&self) -> PathBuf {
        self.root.join("policy_specs")
    }

    pub fn fixtures_dir(&self) -> PathBuf {
        self.root.join("fixtures")
    }
}

fn has_sql(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .any(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .unwrap_or(false)
}

pub fn read_sql(root: &Path, path: &Path) -> Result<SqlFile, ProjectError> {
    let bytes = std::fs::read(path).map_err(|source| ProjectError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let shown = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SqlFile { path: shown, text }),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u32;
            Err(ProjectError::NotUtf8 {
                path: shown,
                offset,
                line,
            })
        }
    }
}

/// The Supabase CLI's rule for migration file names: `^([0-9]+)_(.*)\.sql$`.
pub fn is_cli_migration_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".sql") else {
        return false;
    };
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && stem.as_bytes().get(digits) == Some(&b'_')
}

/// The files a `[db.seed] sql_paths` pattern names under `base`, in lexical order per
/// wildcard component (`*` and `?`), as the Supabase CLI's glob does.
fn glob(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let mut found = vec![base.to_path_buf()];
    let parts: Vec<&str> = pattern
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for dir in &found {
            if !part.contains(['*', '?']) {
                next.push(dir.join(part));
                continue;
            }
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| wildcard(part, n))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| dir.join(n)));
        }
        found = next
            .into_iter()
            .filter(|p| if last { p.is_file() } else { p.is_dir() })
            .collect();
    }
    if parts.is_empty() {
        return Vec::new();
    }
    found
}

fn wildcard(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|k| go(rest, &n[k..])),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_migration_names() {
        for ok in ["20240101000000_init.sql", "001_a.sql", "1_.sql"] {
            assert!(is_cli_migration_name(ok), "{ok}");
        }
        for skipped in [
            "seed.sql",
            "local_20240101_x.sql",
            "_1.sql",
            "20240101.sql",
            "1_a.SQL",
        ] {
            assert!(!is_cli_migration_name(skipped), "{skipped}");
        }
    }

    #[test]
    fn seed_globs_follow_the_cli() {
        let dir = tempfile::tempdir().unwrap();
        let seeds = dir.path().join("seeds");
        std::fs::create_dir(&seeds).unwrap();
        for f in ["b.sql", "a.sql", "notes.txt"] {
            std::fs::write(seeds.join(f), "").unwrap();
        }
        std::fs::write(dir.path().join("seed.sql"), "").unwrap();
        let names = |pattern: &str| -> Vec<String> {
            glob(dir.path(), pattern)
                .iter()
                .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
                .collect()
        };
        assert_eq!(names("./seeds/*.sql"), ["seeds/a.sql", "seeds/b.sql"]);
        assert_eq!(names("./seed.sql"), ["seed.sql"]);
        assert_eq!(names("missing.sql"), Vec::<String>::new());
        assert_eq!(names("se?ds/a.sql"), ["seeds/a.sql"]);
    }
}
