//! `rlsgate.toml`: which schemas the API exposes, which rules run, at what severity.
//!
//! ```toml
//! [lint]
//! exposed_schemas = ["public", "api"]
//! disable = ["policy-missing-to"]
//!
//! [lint.severity]
//! rls-no-policy = "warning"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::diagnostic::Severity;
use super::registry;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub exposed_schemas: Vec<String>,
    pub disabled: BTreeSet<String>,
    pub severity: BTreeMap<String, Severity>,
    /// `[api] auto_expose_new_tables` in `supabase/config.toml`: Supabase's default privileges
    /// grant new tables and functions in `public` to anon and authenticated.
    pub auto_expose_new_tables: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            exposed_schemas: vec!["public".into()],
            disabled: BTreeSet::new(),
            severity: BTreeMap::new(),
            auto_expose_new_tables: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
    #[error("{0}")]
    Supabase(String),
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    lint: Lint,
    /// Read by `crate::timeouts`.
    #[serde(default)]
    #[allow(dead_code)]
    timeouts: Option<toml::Table>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Lint {
    exposed_schemas: Option<Vec<String>>,
    #[serde(default)]
    disable: Vec<toml::Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
}

fn invalid(path: &Path, text: &str, offset: usize, message: String) -> ConfigError {
    let (line, column) = crate::sql::line_col(text, offset);
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

fn unknown_rule(path: &Path, text: &str, id: &toml::Spanned<String>) -> Option<ConfigError> {
    if registry::find(id.get_ref()).is_some() {
        return None;
    }
    let best = registry::RULES
        .iter()
        .map(|r| (strsim::jaro_winkler(r.id, id.get_ref()), r.id))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score > 0.8)
        .map(|(_, id)| format!("; did you mean `{id}`?"))
        .unwrap_or_else(|| "; `rlsgate rule` lists every rule".into());
    Some(invalid(
        path,
        text,
        id.span().start,
        format!("unknown rule `{}`{best}", id.get_ref()),
    ))
}

impl Config {
    /// Exposed schemas from `<project>/supabase/config.toml` (`[api] schemas`) when present,
    /// then `rlsgate.toml` (or `explicit`) on top.
    pub fn load(project: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let supabase = project.join("supabase").join("config.toml");
        if supabase.is_file() {
            let api = crate::supabase::config::load(&supabase)
                .map_err(|e| ConfigError::Supabase(e.to_string()))?;
            config.auto_expose_new_tables = api.auto_expose_new_tables;
            for s in api.schemas {
                if !config.exposed_schemas.contains(&s) && s != "graphql_public" {
                    config.exposed_schemas.push(s);
                }
            }
        }
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = project.join("rlsgate.toml");
                if !p.is_file() {
                    return Ok(config);
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        config.apply(&path, &text)?;
        Ok(config)
    }

    fn apply(&mut self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| {
            invalid(
                path,
                text,
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            )
        })?;
        if let Some(schemas) = file.lint.exposed_schemas {
            self.exposed_schemas = schemas;
        }
        for id in &file.lint.disable {
            if let Some(err) = unknown_rule(path, text, id) {
                return Err(err);
            }
            self.disabled.insert(id.get_ref().clone());
        }
        for (id, severity) in &file.lint.severity {
            if let Some(err) = unknown_rule(path, text, id) {
                return Err(err);
            }
            let parsed =
                severity
                    .get_ref()
                    .parse()
                    .map_err(|e: super::diagnostic::UnknownSeverity| {
                        invalid(path, text, severity.span().start, e.to_string())
                    })?;
            self.severity.insert(id.get_ref().clone(), parsed);
        }
        Ok(())
    }

    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        config.apply(Path::new("rlsgate.toml"), text)?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_schemas_disabled_rules_and_severities() {
        let c = Config::from_toml("[lint]\nexposed_schemas = [\"public\", \"api\"]\ndisable = [\"policy-missing-to\"]\n[lint.severity]\nrls-no-policy = \"warning\"\n").unwrap();
        assert_eq!(c.exposed_schemas, ["public", "api"]);
        assert!(c.disabled.contains("policy-missing-to"));
        assert_eq!(c.severity["rls-no-policy"], Severity::Warning);
    }

    #[test]
    fn unknown_rule_points_at_it_with_a_suggestion() {
        let err = Config::from_toml("[lint]\ndisable = [\"rls-disabeld\"]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "rlsgate.toml:2:12: unknown rule `rls-disabeld`; did you mean `rls-disabled`?"
        );
        let err = Config::from_toml("[lint.severity]\nrls-disabled = \"fatal\"\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("rlsgate.toml:2:16: unknown severity `fatal`"),
            "{err}"
        );
        let err = Config::from_toml("[lint]\nexposed = 1\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `exposed`"), "{err}");
    }

    #[test]
    fn supabase_config_adds_exposed_schemas() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("supabase")).unwrap();
        std::fs::write(
            dir.path().join("supabase/config.toml"),
            "[api]\nschemas = [\"public\", \"graphql_public\", \"api\"]\n",
        )
        .unwrap();
        let c = Config::load(dir.path(), None).unwrap();
        assert_eq!(c.exposed_schemas, ["public", "api"]);
    }
}
