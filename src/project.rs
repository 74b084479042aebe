//! A project on disk: its migrations in order, its Supabase settings, and where its specs
//! and fixtures live.

use std::path::{Path, PathBuf};

use crate::supabase::config::{self, ApiConfig};

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
    pub seed: Option<SqlFile>,
    pub api: ApiConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("project directory {0} does not exist")]
    NoRoot(PathBuf),
    #[error("no migrations found: looked for *.sql in {}", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and "))]
    NoMigrations(Vec<PathBuf>),
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
        let migrations = paths
            .iter()
            .map(|p| read_sql(root, p))
            .collect::<Result<Vec<_>, _>>()?;
        let seed_path = supabase.join("seed.sql");
        let seed = seed_path
            .is_file()
            .then(|| read_sql(root, &seed_path))
            .transpose()?;
        let config_path = supabase.join("config.toml");
        let api = if config_path.is_file() {
            config::load(&config_path)?
        } else {
            ApiConfig::default()
        };
        Ok(Project {
            root: root.to_path_buf(),
            migrations_dir,
            migrations,
            seed,
            api,
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
