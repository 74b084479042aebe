//! The parts of `supabase/config.toml` that change what the API exposes.

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// Schemas PostgREST serves (`[api] schemas`); default `public`, `graphql_public`.
    pub schemas: Vec<String>,
    /// `[api] auto_expose_new_tables`: when false, new tables in public are not granted to
    /// the API roles by default privileges.
    pub auto_expose_new_tables: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            schemas: vec!["public".into(), "graphql_public".into()],
            auto_expose_new_tables: true,
        }
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    api: Option<Api>,
}

#[derive(Deserialize)]
struct Api {
    schemas: Option<Vec<String>>,
    auto_expose_new_tables: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

pub fn load(path: &Path) -> Result<ApiConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let file: File = toml::from_str(&text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|s| crate::sql::split::line_col(&text, s.start))
            .unwrap_or((1, 1));
        ConfigError {
            path: format!("{}:{line}:{col}", path.display()),
            message: e.message().to_string(),
        }
    })?;
    let defaults = ApiConfig::default();
    let api = file.api;
    Ok(ApiConfig {
        schemas: api
            .as_ref()
            .and_then(|a| a.schemas.clone())
            .unwrap_or(defaults.schemas),
        auto_expose_new_tables: api.and_then(|a| a.auto_expose_new_tables).unwrap_or(true),
    })
}

/// SQL run before the migrations when the project turns automatic exposure off.
pub fn privileges_sql(api: &ApiConfig) -> Option<&'static str> {
    (!api.auto_expose_new_tables).then_some(
        "alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated, service_role;\n\
         alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated, service_role;\n\
         alter default privileges for role postgres in schema public revoke all on functions from anon, authenticated, service_role;",
    )
}
