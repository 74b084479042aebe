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
        limits: "graphql.resolve answers with an error; graphql.exception and the schema version functions are missing",
    },
    StandIn {
        name: "pgsodium",
        fixed_schema: Some("pgsodium"),
        sql: include_str!("standins/pgsodium.sql"),
        limits: "schema and key table only; no pgsodium functions (crypto_*, create_key), views or security labels",
    },
    StandIn {
        name: "supabase_vault",
        fixed_schema: Some("vault"),
        sql: include_str!("standins/supabase_vault.sql"),
        limits: "secrets stored in clear (vault.secrets.secret holds the plain text, not base64 ciphertext)",
    },
    StandIn {
        name: "pgmq",
        fixed_schema: Some("pgmq"),
        sql: include_str!("standins/pgmq.sql"),
        limits: "queues are tables in schema pgmq as in pgmq 1.x; partitioned queues are plain, read_with_poll does not wait",
    },
    StandIn {
        name: "pg_jsonschema",
        fixed_schema: None,
        sql: include_str!("standins/pg_jsonschema.sql"),
        limits: "JSON Schema checked in PL/pgSQL: the common keywords and local $ref; format is not checked",
    },
    StandIn {
        name: "wrappers",
        fixed_schema: None,
        sql: include_str!("standins/wrappers.sql"),
        limits: "every wrapper's handler exists, so foreign data wrappers, servers and foreign tables are created; \
                 reading a foreign table fails (no remote data)",
    },
    StandIn {
        name: "pg_tle",
        fixed_schema: Some("pgtle"),
        sql: include_str!("standins/pg_tle.sql"),
        limits: "pgtle.install_extension records the extension; creating one needs a stand-in of its own",
    },
    StandIn {
        name: "supabase-dbdev",
        fixed_schema: Some("dbdev"),
        sql: include_str!("standins/supabase_dbdev.sql"),
        limits: "dbdev.install records the package and installs nothing (no network): objects of installed packages are missing",
    },
    StandIn {
        name: "plv8",
        fixed_schema: Some("pg_catalog"),
        sql: include_str!("standins/plv8.sql"),
        limits: "plv8 functions are created but fail when called",
    },
];

/// The extensions Supabase's Postgres image offers (`supautils.privileged_extensions` and the
/// image's extension list, supabase/postgres), as `create extension` names them.
pub const SUPABASE_EXTENSIONS: &[&str] = &[
    "address_standardizer",
    "address_standardizer_data_us",
    "adminpack",
    "amcheck",
    "autoinc",
    "bloom",
    "btree_gin",
    "btree_gist",
    "citext",
    "cube",
    "dblink",
    "dict_int",
    "dict_xsyn",
    "earthdistance",
    "file_fdw",
    "fuzzystrmatch",
    "hstore",
    "http",
    "hypopg",
    "index_advisor",
    "insert_username",
    "intagg",
    "intarray",
    "isn",
    "lo",
    "ltree",
    "moddatetime",
    "old_snapshot",
    "orioledb",
    "pageinspect",
    "pg_buffercache",
    "pg_cron",
    "pg_freespacemap",
    "pg_graphql",
    "pg_hashids",
    "pg_jsonschema",
    "pg_net",
    "pg_partman",
    "pg_prewarm",
    "pg_repack",
    "pg_stat_monitor",
    "pg_stat_statements",
    "pg_surgery",
    "pg_tle",
    "pg_trgm",
    "pg_visibility",
    "pg_walinspect",
    "pgaudit",
    "pgcrypto",
    "pgjwt",
    "pgmq",
    "pgroonga",
    "pgroonga_database",
    "pgrouting",
    "pgrowlocks",
    "pgsodium",
    "pgstattuple",
    "pgtap",
    "plcoffee",
    "pljava",
    "plls",
    "plpgsql",
    "plpgsql_check",
    "plv8",
    "postgis",
    "postgis_raster",
    "postgis_sfcgal",
    "postgis_tiger_geocoder",
    "postgis_topology",
    "postgres_fdw",
    "refint",
    "rum",
    "seg",
    "sslinfo",
    "supabase_vault",
    "supautils",
    "tablefunc",
    "tcn",
    "timescaledb",
    "tsm_system_rows",
    "tsm_system_time",
    "unaccent",
    "uuid-ossp",
    "vector",
    "wrappers",
    "xml2",
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
        "vault" => Some("the supabase_vault extension, enabled on every project (rlsgate's stand-in has vault.secrets, vault.decrypted_secrets, vault.create_secret and vault.update_secret; not the _crypto_aead_det_* functions vault 0.3 adds)"),
        "pgsodium" => Some("the pgsodium extension (rlsgate emulates only its schema and pgsodium.key: no crypto_* functions, no create_key, no decrypted_key or masking views)"),
        "graphql" | "graphql_public" => Some("the pg_graphql extension, enabled on every project (rlsgate's stand-in has graphql.resolve, answering with an error, graphql.comment_directive and graphql_public.graphql; not graphql.exception, get_schema_version or increment_schema_version)"),
        "supabase_functions" => Some("Supabase database webhooks (rlsgate emulates supabase_functions.http_request)"),
        "auth" | "storage" | "realtime" => Some("the Supabase platform; rlsgate emulates the common parts of this schema, not this object (open an issue)"),
        "pgmq" | "pgmq_public" => Some("the pgmq extension (Supabase Queues: `create extension pgmq`; rlsgate has a stand-in)"),
        _ => None,
    };
    by_schema.or(match base {
        "hnsw" | "ivfflat" => Some("the vector extension's index methods, which its stand-in lacks: rlsgate skips `create index ... using hnsw|ivfflat` statements, but not inside DO blocks or EXECUTE"),
        "vector" | "halfvec" | "sparsevec" => Some("the vector extension (`create extension vector`; rlsgate has a stand-in)"),
        b if b.starts_with("http") => Some("the http extension (`create extension http`; rlsgate has a stand-in)"),
        "sign" | "verify" | "url_encode" | "url_decode" => Some("the pgjwt extension (rlsgate has a stand-in)"),
        "plv8" => Some("the plv8 extension (rlsgate has a stand-in that creates but cannot run plv8 functions)"),
        "json_matches_schema" | "jsonb_matches_schema" | "jsonschema_is_valid" | "jsonschema_validation_errors" =>
            Some("the pg_jsonschema extension (`create extension pg_jsonschema`; rlsgate has a stand-in)"),
        b if b.ends_with("_fdw_handler") || b.ends_with("_fdw_validator") =>
            Some("the wrappers extension (`create extension wrappers`; rlsgate has a stand-in)"),
        _ => None,
    })
}

/// The extension an object belongs to, for an object name as Postgres spells it in an error:
/// by schema (`pgmq.send`, `partman.create_parent`) or by name (`id_encode`, `geography`).
pub fn extension_of(object: &str) -> Option<&'static str> {
    let lower = object.to_ascii_lowercase();
    let name = lower.split('(').next().unwrap_or(&lower).trim();
    let (schema, base) = match name.rsplit_once('.') {
        Some((s, b)) => (s.trim_matches('"'), b.trim_matches('"')),
        None => (name.trim_matches('"'), name.trim_matches('"')),
    };
    let by_schema = match schema {
        "net" => Some("pg_net"),
        "cron" => Some("pg_cron"),
        "vault" => Some("supabase_vault"),
        "pgsodium" => Some("pgsodium"),
        "graphql" => Some("pg_graphql"),
        "pgmq" | "pgmq_public" => Some("pgmq"),
        "partman" => Some("pg_partman"),
        "dbdev" => Some("supabase-dbdev"),
        "pgtle" => Some("pg_tle"),
        "repack" => Some("pg_repack"),
        "topology" => Some("postgis_topology"),
        "tiger" => Some("postgis_tiger_geocoder"),
        s if s.starts_with("timescaledb") || s.starts_with("_timescaledb") => Some("timescaledb"),
        _ => None,
    };
    by_schema.or(match base {
        "id_encode" | "id_decode" | "id_decode_once" => Some("pg_hashids"),
        "json_matches_schema"
        | "jsonb_matches_schema"
        | "jsonschema_is_valid"
        | "jsonschema_validation_errors" => Some("pg_jsonschema"),
        "geometry" | "geography" | "box2d" | "box3d" | "gist_geometry_ops_2d" => Some("postgis"),
        "raster" => Some("postgis_raster"),
        "vector" | "halfvec" | "sparsevec" | "hnsw" | "ivfflat" => Some("vector"),
        "sign" | "verify" | "url_encode" | "url_decode" => Some("pgjwt"),
        "rum" => Some("rum"),
        "index_advisor" => Some("index_advisor"),
        "standardize_address" | "parse_address" => Some("address_standardizer"),
        "create_hypertable"
        | "time_bucket"
        | "add_retention_policy"
        | "add_compression_policy"
        | "add_continuous_aggregate_policy" => Some("timescaledb"),
        "pg_stat_monitor" => Some("pg_stat_monitor"),
        "plv8" => Some("plv8"),
        "plcoffee" => Some("plcoffee"),
        "plls" => Some("plls"),
        "pljava" => Some("pljava"),
        "no_plan" | "plan" | "finish" | "ok" | "is" | "isnt" | "has_table" | "has_column"
        | "results_eq" | "throws_ok" | "lives_ok" | "is_empty" | "policies_are" => Some("pgtap"),
        b if b.starts_with("st_") || b.starts_with("postgis_") => Some("postgis"),
        b if b.starts_with("pgr_") => Some("pgrouting"),
        b if b.starts_with("hypopg") => Some("hypopg"),
        b if b.starts_with("plpgsql_check") => Some("plpgsql_check"),
        b if b.starts_with("pgroonga") => Some("pgroonga"),
        b if b.ends_with("_fdw_handler") || b.ends_with("_fdw_validator") => Some("wrappers"),
        b if b.starts_with("http") => Some("http"),
        _ => None,
    })
}
