//! The Supabase emulation: the platform bootstrap baked into the template cluster, and the
//! per-project settings from `supabase/config.toml`.

pub mod config;

/// Roles, schemas, `auth.*` functions and default grants, run once per template.
pub const BOOTSTRAP_SQL: &str = include_str!("bootstrap.sql");

/// The superuser the cluster is initialised with (as on Supabase).
pub const SUPERUSER: &str = "supabase_admin";

/// The role migrations run as (not a superuser; BYPASSRLS), as on Supabase.
pub const MIGRATION_ROLE: &str = "postgres";
