//! Extensions: which ones Supabase offers that Debian's Postgres lacks, the stand-ins that
//! replace them, and which Supabase component provides an object a migration refers to.

/// A replacement for an extension this Postgres cannot load.
pub struct StandIn {
    pub name: &'static str,
    /// The schema its objects always live in (non-relocatable extensions); `None` means
    /// `WITH SCHEMA` or the current schema, substituted for `@extschema@`.
    pub fixed_schema: Option<&'static str>,
    pub sql: &'static str,
    /// What differs from the real extension, for the warning.
    pub limits: &'static str,
}

const STANDINS: &[StandIn] = &[
    StandIn {
        name: "vector",
        fixed_schema: None,
        sql: include_str!("standins/vector.sql"),
        limits: "type `vector` and its distance operators computed in SQL; hnsw/ivfflat indexes are skipped",
    },
    StandIn {
        name: "pg_net",
        fixed_schema: Some("net"),
        sql: include_str!("standins/pg_net.sql"),
        limits: "net.http_get/post/delete queue the request and never send it",
    },
    StandIn {
        name: "http",
        fixed_schema: None,
        sql: include_str!("standins/http.sql"),
        limits: "every http_* call answers status 503 without sending anything",
    },
    StandIn {
        name: "pg_cron",
        fixed_schema: Some("cron"),
        sql: include_str!("standins/pg_cron.sql"),
        limits: "jobs are recorded in cron.job and never run",
    },
    StandIn {
        name: "pgjwt",
        fixed_schema: None,
        sql: include_str!("standins/pgjwt.sql"),
        limits: "sign/verify implemented with pgcrypto (HS256/384/512)",
    },
    StandIn {
        name: "pg_graphql",
        fixed_schema: Some("graphql"),
        sql: include_str!("standins/pg_graphql.sql"),
        limits: "graphql.resolve answers with an error",
    },
    StandIn {
        name: "pgsodium",
        fixed_schema: Some("pgsodium"),
        sql: include_str!("standins/pgsodium.sql"),
        limits: "schema and key table only; no pgsodium functions",
    },
    StandIn {
        name: "supabase_vault",
        fixed_schema: Some("vault"),
        sql: include_str!("standins/supabase_vault.sql"),
        limits: "secrets stored in clear",
    },
    StandIn {
        name: "plv8",
        fixed_schema: Some("pg_catalog"),
        sql: include_str!("standins/plv8.sql"),
        limits: "plv8 functions are created but fail when called",
    },
];

pub fn standin(name: &str) -> Option<&'static StandIn> {
    STANDINS.iter().find(|s| s.name == name)
}

impl StandIn {
    /// The install script for `schema` (ignored when the extension has a fixed schema).
    pub fn script(&self, schema: &str) -> String {
        let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
        self.sql.replace("@extschema@", &quoted)
    }

    pub fn schema<'a>(&'a self, requested: Option<&'a str>) -> Option<&'a str> {
        self.fixed_schema.or(requested)
    }
}

/// Who provides an object on Supabase, for an object name as Postgres spells it in an error
/// (`net.http_post`, `vault.decrypted_secrets`, `vector`...).
pub fn provider(object: &str) -> Option<&'static str> {
    let lower = object.to_ascii_lowercase();
    let name = lower.split('(').next().unwrap_or(&lower).trim();
    let (schema, base) = match name.rsplit_once('.') {
        Some((s, b)) => (s.trim_matches('"'), b.trim_matches('"')),
        None => ("", name.trim_matches('"')),
    };
    // a bare name may be a schema (`schema "net" does not exist`)
    let schema = if schema.is_empty() { base } else { schema };
    let by_schema = match schema {
        "net" => Some("the pg_net extension (`create extension pg_net`; rlsgate has a stand-in)"),
        "cron" => Some("the pg_cron extension (`create extension pg_cron`; rlsgate has a stand-in)"),
        "vault" => Some("the supabase_vault extension, enabled on every project (rlsgate has a stand-in)"),
        "pgsodium" => Some("the pgsodium extension (rlsgate emulates only its schema)"),
        "graphql" | "graphql_public" => Some("the pg_graphql extension, enabled on every project"),
        "supabase_functions" => Some("Supabase database webhooks (rlsgate emulates supabase_functions.http_request)"),
        "auth" | "storage" | "realtime" => Some("the Supabase platform; rlsgate emulates the common parts of this schema, not this object (open an issue)"),
        "pgmq" => Some("the pgmq extension (Supabase Queues), which rlsgate does not emulate"),
        _ => None,
    };
    by_schema.or(match base {
        "hnsw" | "ivfflat" => Some("the vector extension's index methods, which its stand-in lacks: rlsgate skips `create index ... using hnsw|ivfflat` statements, but not inside DO blocks or EXECUTE"),
        "vector" | "halfvec" | "sparsevec" => Some("the vector extension (`create extension vector`; rlsgate has a stand-in)"),
        b if b.starts_with("http") => Some("the http extension (`create extension http`; rlsgate has a stand-in)"),
        "sign" | "verify" | "url_encode" | "url_decode" => Some("the pgjwt extension (rlsgate has a stand-in)"),
        "plv8" => Some("the plv8 extension (rlsgate has a stand-in that creates but cannot run plv8 functions)"),
        _ => None,
    })
}
