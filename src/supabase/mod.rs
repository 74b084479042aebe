//! The Supabase emulation: the platform bootstrap baked into the template cluster, stand-ins
//! for extensions this Postgres lacks, and the per-project settings from `supabase/config.toml`.

pub mod config;
pub mod extensions;

/// Roles, schemas, `auth.*` functions, default grants and the extensions every project has
/// enabled, run once per template.
pub const BOOTSTRAP_SQL: &str = concat!(
    include_str!("bootstrap.sql"),
    "\n",
    include_str!("standins/supabase_vault.sql"),
    include_str!("standins/pg_graphql.sql"),
    "create function graphql_public.graphql(\"operationName\" text default null, query text default null,\n",
    "    variables jsonb default null, extensions jsonb default null) returns jsonb\n",
    "language sql as $$ select graphql.resolve(query, coalesce(variables, '{}'), \"operationName\", extensions) $$;\n",
    "grant execute on function graphql_public.graphql(text, text, jsonb, jsonb) to postgres, anon, authenticated, service_role;\n",
);

/// The superuser the cluster is initialised with (as on Supabase).
pub const SUPERUSER: &str = "supabase_admin";

/// The role migrations run as (not a superuser; BYPASSRLS), as on Supabase.
pub const MIGRATION_ROLE: &str = "postgres";
