//! The Supabase emulation on a real cluster: auth functions under every claim style, RLS
//! bypass rules per role, and Supabase's default privileges.

mod common;

use common::superuser;

fn one<T: for<'a> postgres::types::FromSql<'a>>(client: &mut postgres::Client, sql: &str) -> T {
    client
        .query_one(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

#[test]
fn auth_uid_reads_the_claims_json() {
    let mut c = superuser();
    let mut tx = c.transaction().unwrap();
    tx.batch_execute(r#"select set_config('request.jwt.claims', '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated","email":"a@x.test"}', true)"#).unwrap();
    let uid: String = tx.query_one("select auth.uid()::text", &[]).unwrap().get(0);
    assert_eq!(uid, "11111111-1111-4111-8111-111111111111");
    let role: String = tx.query_one("select auth.role()", &[]).unwrap().get(0);
    assert_eq!(role, "authenticated");
    let email: String = tx.query_one("select auth.email()", &[]).unwrap().get(0);
    assert_eq!(email, "a@x.test");
    let jwt: String = tx
        .query_one("select auth.jwt() ->> 'email'", &[])
        .unwrap()
        .get(0);
    assert_eq!(jwt, "a@x.test");
}

#[test]
fn auth_uid_reads_the_legacy_per_claim_settings_first() {
    let mut c = superuser();
    let mut tx = c.transaction().unwrap();
    tx.batch_execute(
        r#"select set_config('request.jwt.claim.sub', '22222222-2222-4222-8222-222222222222', true),
                  set_config('request.jwt.claims', '{"sub":"33333333-3333-4333-8333-333333333333"}', true),
                  set_config('request.jwt.claim.role', 'anon', true)"#,
    )
    .unwrap();
    let uid: String = tx.query_one("select auth.uid()::text", &[]).unwrap().get(0);
    assert_eq!(uid, "22222222-2222-4222-8222-222222222222");
    let role: String = tx.query_one("select auth.role()", &[]).unwrap().get(0);
    assert_eq!(role, "anon");
}

#[test]
fn auth_uid_is_null_once_local_claims_are_gone() {
    let mut c = superuser();
    c.batch_execute(
        r#"begin; select set_config('request.jwt.claims', '{"sub":"44444444-4444-4444-8444-444444444444"}', true); commit;"#,
    )
    .unwrap();
    // The setting now reads '' (not NULL): nullif keeps auth.uid() from failing on ''::uuid.
    let raw: String = one(&mut c, "select current_setting('request.jwt.claims', true)");
    assert_eq!(raw, "");
    let uid: Option<String> = one(&mut c, "select auth.uid()::text");
    assert_eq!(uid, None);
    let jwt: Option<String> = one(&mut c, "select auth.jwt()::text");
    assert_eq!(jwt, None);
}

#[test]
fn anon_and_authenticated_obey_rls_and_service_role_bypasses_it() {
    let mut c = superuser();
    let mut tx = c.transaction().unwrap();
    tx.batch_execute(
        "set local role postgres;
         create table public.rls_probe (id int primary key, owner uuid);
         alter table public.rls_probe enable row level security;
         insert into public.rls_probe values (1, '55555555-5555-4555-8555-555555555555');
         reset role;",
    )
    .unwrap();
    for (role, visible) in [
        ("anon", 0i64),
        ("authenticated", 0),
        ("service_role", 1),
        ("postgres", 1),
    ] {
        tx.batch_execute(&format!("savepoint s; set local role {role}"))
            .unwrap();
        let n: i64 = tx
            .query_one("select count(*) from public.rls_probe", &[])
            .unwrap()
            .get(0);
        assert_eq!(n, visible, "{role} sees {n} rows");
        tx.batch_execute("rollback to savepoint s").unwrap();
    }
    let bypass: Vec<(String, bool, bool)> = tx
        .query(
            "select rolname::text, rolbypassrls, rolsuper from pg_roles where rolname in ('anon','authenticated','service_role','postgres','authenticator') order by 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        bypass,
        vec![
            ("anon".into(), false, false),
            ("authenticated".into(), false, false),
            ("authenticator".into(), false, false),
            ("postgres".into(), true, false),
            ("service_role".into(), true, false),
        ]
    );
}

#[test]
fn new_public_tables_functions_and_sequences_are_granted_to_the_api_roles() {
    let mut c = superuser();
    let mut tx = c.transaction().unwrap();
    tx.batch_execute(
        "set local role postgres;
         create table public.granted (id bigserial primary key, note text);
         create function public.granted_fn() returns int language sql as 'select 1';
         reset role;",
    )
    .unwrap();
    for role in ["anon", "authenticated", "service_role"] {
        for privilege in [
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "TRUNCATE",
            "REFERENCES",
            "TRIGGER",
        ] {
            let ok: bool = tx
                .query_one(
                    "select has_table_privilege($1, 'public.granted', $2)",
                    &[&role, &privilege],
                )
                .unwrap()
                .get(0);
            assert!(ok, "{role} lacks {privilege}");
        }
        let exec: bool = tx
            .query_one(
                "select has_function_privilege($1, 'public.granted_fn()', 'EXECUTE')",
                &[&role],
            )
            .unwrap()
            .get(0);
        assert!(exec, "{role} cannot execute");
        let seq: bool = tx
            .query_one(
                "select has_sequence_privilege($1, 'public.granted_id_seq', 'USAGE')",
                &[&role],
            )
            .unwrap()
            .get(0);
        assert!(seq, "{role} cannot use the sequence");
    }
}

#[test]
fn auth_users_is_not_readable_by_the_api_roles() {
    let mut c = superuser();
    for role in ["anon", "authenticated"] {
        let ok: bool = c
            .query_one(
                "select has_table_privilege($1, 'auth.users', 'SELECT')",
                &[&role],
            )
            .unwrap()
            .get(0);
        assert!(!ok, "{role} can read auth.users");
    }
    let ok: bool = c
        .query_one(
            "select has_table_privilege('postgres', 'auth.users', 'SELECT')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ok);
}

#[test]
fn extensions_live_in_their_schema_and_are_on_the_search_path() {
    let mut c = shared_cluster_as_postgres();
    c.batch_execute("create extension if not exists \"uuid-ossp\" with schema extensions; create extension if not exists pgcrypto with schema extensions;").unwrap();
    let v4: String = one(&mut c, "select uuid_generate_v4()::text");
    assert_eq!(v4.len(), 36);
    let digest: String = one(&mut c, "select encode(digest('x', 'sha256'), 'hex')");
    assert_eq!(digest.len(), 64);
}

#[test]
fn the_server_does_not_run_as_root() {
    let pid = common::shared_cluster().pid().expect("running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid: u32 = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(uid, 0, "postgres must never run as root");
}

fn shared_cluster_as_postgres() -> postgres::Client {
    common::shared_cluster().connect("postgres").unwrap()
}

/// `rlsgate test --allow-unspecified` on a scratch project with these migrations: (exit code,
/// stderr). Exit 2 means the migrations did not apply.
fn migrate(files: &[(&str, &str)]) -> (i32, String) {
    let dir = common::project(files);
    let out = common::run(&["-q", "test", "--allow-unspecified"], dir.path());
    (out.status.code().unwrap_or(-1), common::text(&out).1)
}

#[test]
fn a_wrappers_foreign_data_wrapper_migration_applies() {
    // What Supabase's Wrappers docs have a migration do: the FDW needs a superuser on plain
    // Postgres; supautils lets `postgres` create it on Supabase.
    let (code, stderr) = migrate(&[(
        "20240101000000_stripe.sql",
        "create extension if not exists wrappers with schema extensions;
         create foreign data wrapper stripe_wrapper
           handler extensions.stripe_fdw_handler validator extensions.stripe_fdw_validator;
         create server stripe_server foreign data wrapper stripe_wrapper
           options (api_key_id '0a1b2c', api_url 'https://api.stripe.com/v1');
         create schema stripe;
         create foreign table stripe.customers (id text, email text)
           server stripe_server options (object 'customers', rowid_column 'id');
         import foreign schema stripe from server stripe_server into stripe;
         create table public.t (id bigserial primary key);
         alter table public.t enable row level security;",
    )]);
    assert_ne!(code, 2, "{stderr}");
    assert!(
        stderr.contains("20240101000000_stripe.sql:1: extension wrappers is not available"),
        "{stderr}"
    );
    assert!(
        stderr.contains("20240101000000_stripe.sql:9: import foreign schema skipped"),
        "{stderr}"
    );
}

#[test]
fn pgmq_queues_are_created_sent_to_and_read() {
    let (code, stderr) = migrate(&[(
        "20240101000000_queues.sql",
        "create extension if not exists pgmq;
         select pgmq.create('Jobs');
         do $$
         declare
           first bigint;
           got pgmq.message_record;
         begin
           first := pgmq.send('jobs', '{\"task\": \"a\"}');
           perform pgmq.send_batch('jobs', array['{\"task\": \"b\"}', '{\"task\": \"c\"}']::jsonb[]);
           perform pgmq.send('jobs', '{\"task\": \"later\"}', 3600);
           select * into got from pgmq.read('jobs', 30, 1);
           if got.msg_id <> first or got.message ->> 'task' <> 'a' or got.read_ct <> 1 then
             raise exception 'read returned %', got;
           end if;
           if (select count(*) from pgmq.read('jobs', 30, 10)) <> 2 then
             raise exception 'the second read should see the two visible messages left';
           end if;
           if not pgmq.archive('jobs', first) then
             raise exception 'archive did not find the message';
           end if;
           if (select count(*) from pgmq.a_jobs) <> 1 then
             raise exception 'archive did not move the message';
           end if;
           if not pgmq.delete('jobs', first + 1) or pgmq.delete('jobs', 999) then
             raise exception 'delete answered wrong';
           end if;
           if (select queue_length from pgmq.metrics('jobs')) <> 2 then
             raise exception 'metrics: %', pgmq.metrics('jobs');
           end if;
           if (select array_agg(queue_name::text) from pgmq.list_queues()) <> array['Jobs'] then
             raise exception 'list_queues';
           end if;
         end $$;
         create table public.t (id bigserial primary key);
         alter table public.t enable row level security;",
    )]);
    assert_ne!(code, 2, "{stderr}");
}

#[test]
fn pg_jsonschema_checks_values_against_a_schema() {
    let schema = r##"{"type": "object", "required": ["tags"], "additionalProperties": false,
        "properties": {"tags": {"type": "array", "items": {"type": "string", "maxLength": 4}},
                       "n": {"$ref": "#/$defs/small"}},
        "$defs": {"small": {"type": "integer", "maximum": 9}}}"##;
    let sql = format!(
        "create extension if not exists pg_jsonschema with schema extensions;
         create table public.docs (id bigserial primary key, meta jsonb not null
           check (extensions.jsonb_matches_schema('{schema}', meta)));
         alter table public.docs enable row level security;
         insert into public.docs (meta) values ('{{\"tags\": [\"vip\"], \"n\": 3}}');
         do $$ begin
           if extensions.json_matches_schema('{schema}', '{{\"tags\": [\"toolong\"]}}')
             or extensions.json_matches_schema('{schema}', '{{\"tags\": [], \"n\": 10}}')
             or extensions.json_matches_schema('{schema}', '{{\"tags\": [], \"other\": 1}}')
             or extensions.json_matches_schema('{schema}', '{{}}')
             or not extensions.jsonschema_is_valid('{schema}')
             or extensions.jsonschema_is_valid('{{\"type\": \"nonsense\"}}')
             or cardinality(extensions.jsonschema_validation_errors('{schema}', '{{\"tags\": [1]}}')) <> 1
           then raise exception 'pg_jsonschema stand-in accepted an invalid value'; end if;
         end $$;"
    );
    let (code, stderr) = migrate(&[("20240101000000_docs.sql", &sql)]);
    assert_ne!(code, 2, "{stderr}");
    let (code, stderr) = migrate(&[(
        "20240101000000_docs.sql",
        &format!("{sql}\ninsert into public.docs (meta) values ('{{\"tags\": [1]}}');"),
    )]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("violates check constraint"), "{stderr}");
}

#[test]
fn postgres_may_set_the_settings_supautils_allows() {
    let mut c = shared_cluster_as_postgres();
    c.batch_execute(
        "set session_replication_role = replica; set log_min_messages = warning; reset all;",
    )
    .expect("supautils.privileged_role_allowed_configs");
    let err = c.batch_execute("set log_statement = 'all'").unwrap_err();
    assert_eq!(
        err.code(),
        Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
}

#[test]
fn a_skipped_extension_is_named_when_a_later_migration_fails() {
    let (code, stderr) = migrate(&[
        (
            "20240101000000_ext.sql",
            "create extension if not exists pg_hashids with schema extensions;",
        ),
        (
            "20240102000000_use.sql",
            "create table public.links (id bigint primary key, code text default extensions.id_encode(1));",
        ),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("comes from the pg_hashids extension, which migrations/20240101000000_ext.sql:1 creates"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning: migrations/20240101000000_ext.sql:1: extension pg_hashids is not available"
        ),
        "{stderr}"
    );
}

#[test]
fn the_database_dev_install_applies_without_a_network() {
    // database.dev's install snippet, as real projects commit it: pg_tle, a package fetched
    // over http, `create extension "supabase-dbdev"`, then packages installed through it.
    let (code, stderr) = migrate(&[(
        "20240101000000_install_dbdev.sql",
        "create extension if not exists http with schema extensions;
         create extension if not exists pg_tle;
         select pgtle.uninstall_extension_if_exists('supabase-dbdev');
         drop extension if exists \"supabase-dbdev\" cascade;
         select http_set_curlopt('CURLOPT_TIMEOUT', '30');
         select pgtle.install_extension('supabase-dbdev', resp.contents ->> 'version',
             'PostgreSQL package manager', resp.contents ->> 'sql')
         from http(('GET', 'https://api.database.dev/rest/v1/package_versions', array[]::http_header[], null, null)) x,
         lateral (select ((row_to_json(x) -> 'content') #>> '{}')::json -> 0) resp(contents);
         create extension \"supabase-dbdev\";
         select dbdev.install('basejump-supabase_test_helpers');
         alter extension \"supabase-dbdev\" update to '0.0.5';
         create table public.t (id bigserial primary key);
         alter table public.t enable row level security;",
    )]);
    assert_ne!(code, 2, "{stderr}");
    assert!(
        stderr.contains("install_dbdev.sql:10: extension supabase-dbdev is not available in this Postgres; using rlsgate's stand-in"),
        "{stderr}"
    );
}
