//! The parts of `supabase/config.toml` rlsgate follows: what the API exposes (`[api]`), the
//! Postgres major version (`[db] major_version`) and the seed files (`[db.seed]`).

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

/// `[db]`: the server version Supabase runs and what `supabase start` seeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbConfig {
    /// `[db] major_version` (Supabase's default is 15 when absent).
    pub major_version: Option<u32>,
    /// `[db.seed] enabled` (default true).
    pub seed_enabled: bool,
    /// `[db.seed] sql_paths`, relative to `supabase/`, glob patterns allowed; default
    /// `./seed.sql`.
    pub seed_paths: Vec<String>,
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            major_version: None,
            seed_enabled: true,
            seed_paths: vec!["./seed.sql".into()],
        }
    }
}

/// Everything rlsgate reads from `supabase/config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupabaseConfig {
    pub api: ApiConfig,
    pub db: DbConfig,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    api: Option<Api>,
    #[serde(default)]
    db: Option<Db>,
}

#[derive(Deserialize)]
struct Db {
    major_version: Option<u32>,
    seed: Option<Seed>,
}

#[derive(Deserialize)]
struct Seed {
    enabled: Option<bool>,
    sql_paths: Option<Vec<String>>,
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

/// The `[api]` table only.
pub fn load(path: &Path) -> Result<ApiConfig, ConfigError> {
    load_all(path).map(|c| c.api)
}

pub fn load_all(path: &Path) -> Result<SupabaseConfig, ConfigError> {
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
    let seed = file.db.as_ref().and_then(|d| d.seed.as_ref());
    Ok(SupabaseConfig {
        api: ApiConfig {
            schemas: api
                .as_ref()
                .and_then(|a| a.schemas.clone())
                .unwrap_or(defaults.schemas),
            auto_expose_new_tables: api.and_then(|a| a.auto_expose_new_tables).unwrap_or(true),
        },
        db: DbConfig {
            major_version: file.db.as_ref().and_then(|d| d.major_version),
            seed_enabled: seed.and_then(|s| s.enabled).unwrap_or(true),
            seed_paths: seed
                .and_then(|s| s.sql_paths.clone())
                .unwrap_or_else(|| DbConfig::default().seed_paths),
        },
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

/// Sets `pgrst.db_schemas` for the database, as PostgREST's in-database configuration carries
/// `[api] schemas` (splinter reads it to tell which schemas the API exposes).
pub fn api_settings_sql(api: &ApiConfig) -> String {
    let schemas = api.schemas.join(",").replace('\'', "''");
    format!(
        "do $$ begin execute format('alter database %I set pgrst.db_schemas = %L', current_database(), '{schemas}'); end $$"
    )
}
