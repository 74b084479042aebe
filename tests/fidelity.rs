//! Real projects' migrations on the emulation: extensions this Postgres lacks, Supabase's
//! privileged extension handling, the CLI's per-file transactions, error notes for missing
//! objects, and outcomes only real apps' policies produce (a policy error, the app's own
//! storage bucket). Each snippet is modelled on what public Supabase apps do (see
//! docs/realworld.md); rows synthesized past real schemas' constraints are in probe_rows.rs.

mod common;

use common::{project, run, synthesis_run, test_failure, text};

#[test]
fn pg_net_webhook_trigger_with_a_vault_secret_applies_and_probes() {
    let (code, summary, stderr) = synthesis_run(&[(
        "20240101000000_webhook.sql",
        "create extension if not exists pg_net with schema extensions;
         select vault.create_secret('http://functions.local', 'functions_url');
         create table public.orders (
           id bigint generated always as identity primary key,
           user_id uuid not null references auth.users (id) default auth.uid(),
           total numeric not null default 0
         );
         alter table public.orders enable row level security;
         create policy own on public.orders for all to authenticated
           using (user_id = auth.uid()) with check (user_id = auth.uid());
         create function public.notify_order() returns trigger language plpgsql security definer
         set search_path = '' as $$
         begin
           perform net.http_post(
             url := (select decrypted_secret from vault.decrypted_secrets where name = 'functions_url') || '/orders',
             body := jsonb_build_object('id', new.id));
           return new;
         end $$;
         create trigger orders_webhook after insert on public.orders
           for each row execute function public.notify_order();",
    )]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["inconclusive"], 0, "{stderr}");
    assert!(
        stderr.contains(
            "extension pg_net is not available in this Postgres; using rlsgate's stand-in"
        ),
        "{stderr}"
    );
}

#[test]
fn pgvector_columns_functions_and_indexes_apply_with_the_stand_in() {
    let dir = project(&[(
        "20240101000000_embeddings.sql",
        "create extension if not exists vector with schema extensions;
         create table public.chunks (
           id bigserial primary key,
           owner_id uuid not null references auth.users (id),
           body text not null,
           embedding extensions.vector(3)
         );
         create index on public.chunks using hnsw (embedding extensions.vector_cosine_ops);
         alter table public.chunks enable row level security;
         create policy mine on public.chunks for select to authenticated using (owner_id = auth.uid());
         create function public.nearest(q extensions.vector(3), k int) returns setof public.chunks
         language sql stable set search_path = public, extensions as $$
           select * from public.chunks order by embedding <=> q limit k
         $$;",
    )]);
    let out = run(&["-q", "test", "--allow-unspecified"], dir.path());
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("hnsw index skipped"), "{stderr}");
    assert!(
        stderr.contains("extension vector is not available"),
        "{stderr}"
    );
}

#[test]
fn the_vector_stand_in_computes_distances() {
    let mut c = common::superuser();
    let mut tx = c.transaction().unwrap();
    let script = rlsgate::supabase::extensions::standin("vector")
        .unwrap()
        .script("vec_standin_test");
    tx.batch_execute(&format!("create schema vec_standin_test; {script}"))
        .unwrap();
    let row = tx
        .query_one(
            "select vec_standin_test.l2_distance('[0,3]', '[4,0]'),
                    vec_standin_test.cosine_distance('[1,0]', '[0,1]'),
                    vec_standin_test.vector_dims(array[1,2,3]::real[]::vec_standin_test.vector),
                    ('[1,2]'::vec_standin_test.vector(2))::text",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, f64>(0), 5.0);
    assert_eq!(row.get::<_, f64>(1), 1.0);
    assert_eq!(row.get::<_, i32>(2), 3);
    assert_eq!(row.get::<_, String>(3), "[1,2]");
}

#[test]
fn pg_cron_http_pgjwt_and_plv8_have_stand_ins() {
    let (code, _, stderr) = synthesis_run(&[(
        "20240101000000_jobs.sql",
        "create extension if not exists pg_cron;
         create extension if not exists http with schema extensions;
         create extension if not exists pgjwt with schema extensions;
         create extension if not exists plv8;
         select cron.schedule('nightly-cleanup', '0 3 * * *', $$delete from public.logs where true$$);
         select cron.unschedule('nightly-cleanup');
         create table public.logs (id bigserial primary key, line text);
         alter table public.logs enable row level security;
         create function public.js_len(s text) returns int language plv8 as $$ return s.length; $$;
         do $$ begin
           if (select valid from extensions.verify(extensions.sign('{\"sub\":\"x\"}', 'secret'), 'secret')) is not true
           then raise exception 'pgjwt stand-in: signature does not verify'; end if;
           if (extensions.http_get('http://example.test')).status <> 503
           then raise exception 'http stand-in: expected 503'; end if;
         end $$;",
    )]);
    // applied (2 would mean the tool could not run); the bare table is a lint finding
    assert_ne!(code, 2, "{stderr}");
    for name in ["pg_cron", "http", "pgjwt", "plv8"] {
        assert!(
            stderr.contains(&format!("extension {name} is not available")),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn unknown_extensions_are_skipped_with_a_warning() {
    let (code, _, stderr) = synthesis_run(&[(
        "20240101000000_ext.sql",
        "create extension if not exists pg_hashids with schema extensions;
         create table public.t (id bigserial primary key);
         alter table public.t enable row level security;",
    )]);
    // applied (2 would mean the tool could not run); the bare table is a lint finding
    assert_ne!(code, 2, "{stderr}");
    assert!(
        stderr.contains("20240101000000_ext.sql:1: extension pg_hashids is not available in this Postgres and rlsgate has no stand-in"),
        "{stderr}"
    );
}

#[test]
fn extensions_are_created_and_moved_as_the_platform_superuser() {
    // Supabase's linter suggests moving extensions out of public; on Supabase the statement
    // runs as the superuser, so `postgres` may do it although it owns none of the functions.
    let (code, _, stderr) = synthesis_run(&[
        ("001_trgm.sql", "create extension if not exists pg_trgm;"),
        (
            "002_move.sql",
            "alter extension pg_trgm set schema extensions;",
        ),
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn enum_value_used_in_the_file_that_adds_it_applies_outside_a_transaction_with_a_warning() {
    let (code, _, stderr) = synthesis_run(&[
        (
            "001_type.sql",
            "create type public.status as enum ('draft');",
        ),
        (
            "002_use.sql",
            "alter type public.status add value if not exists 'published';
             create function public.is_live(s public.status) returns boolean language sql
             as $$ select s in ('published') $$;",
        ),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("002_use.sql:3: applied statement by statement, outside a transaction"),
        "{stderr}"
    );
}

#[test]
fn a_missing_table_created_by_a_later_file_names_that_file() {
    let stderr = test_failure(&[
        (
            "001_alter.sql",
            "alter table public.stories add column note text;",
        ),
        (
            "002_create.sql",
            "create table if not exists public.stories (id uuid primary key);",
        ),
    ]);
    assert!(
        stderr.contains("relation \"public.stories\" does not exist"),
        "{stderr}"
    );
    assert!(
        stderr.contains("002_create.sql:1 creates it, but runs later"),
        "{stderr}"
    );
}

#[test]
fn a_missing_object_supabase_provides_says_where_it_comes_from() {
    let stderr = test_failure(&[(
        "001_call.sql",
        "create table public.t (id int); select net.http_get('http://x.test');",
    )]);
    assert!(
        stderr.contains("comes from the pg_net extension"),
        "{stderr}"
    );
    let stderr = test_failure(&[(
        "001_alter.sql",
        "alter table public.never_made add column x int;",
    )]);
    assert!(
        stderr
            .contains("Supabase does not provide `public.never_made` and no migration creates it"),
        "{stderr}"
    );
    // NEW in a policy is no missing table: it exists only in triggers
    let stderr = test_failure(&[(
        "001_policy.sql",
        "create table public.t (id int, owner uuid);
         create policy p on public.t for insert with check (new.owner = auth.uid());",
    )]);
    assert!(
        stderr.contains("NEW and OLD exist only inside trigger functions"),
        "{stderr}"
    );
    assert!(!stderr.contains("Supabase does not provide"), "{stderr}");
}

#[test]
fn realtime_authorization_policies_are_created_by_the_migration_role() {
    let (code, _, stderr) = synthesis_run(&[(
        "20240101000000_broadcast.sql",
        "create table public.rooms (id uuid primary key default gen_random_uuid(),
           owner_id uuid not null references auth.users (id) default auth.uid());
         alter table public.rooms enable row level security;
         create policy own on public.rooms for all to authenticated using (owner_id = auth.uid());
         do $$ begin
           execute 'create policy room_members_receive on realtime.messages for select
             to authenticated using (realtime.topic() like ''room:%'')';
         end $$;",
    )]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn vector_indexes_inside_do_blocks_are_skipped_by_name() {
    let (code, summary, stderr) = synthesis_run(&[(
        "20240101000000_goals.sql",
        "create extension if not exists vector with schema extensions;
         create table public.goals (
           id uuid primary key default gen_random_uuid(),
           user_id uuid not null references auth.users (id),
           embedding extensions.vector(3)
         );
         do $$
         begin
           if not exists (select 1 from pg_indexes where indexname = 'idx_goals_embedding') then
             create index idx_goals_embedding on public.goals
               using ivfflat (embedding extensions.vector_cosine_ops) with (lists = 100);
           end if;
         end $$;
         alter table public.goals enable row level security;
         create policy own on public.goals for all to authenticated using (user_id = auth.uid());",
    )]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["inconclusive"], 0, "{summary}");
    assert!(
        stderr.contains("ivfflat index idx_goals_embedding (in a DO block) skipped"),
        "{stderr}"
    );
}

#[test]
fn a_policy_that_fails_for_a_caller_is_a_policy_error_not_none() {
    // The policy reads auth.users, which no API role may read, and anon's policy calls a
    // helper that raises: every such request errors in PostgREST, where an honest deny
    // returns no rows. Neither is `none`.
    let dir = project(&[(
        "001_schema.sql",
        "create table public.notes (
           id bigserial primary key,
           user_id uuid not null references auth.users (id),
           body text not null
         );
         create table public.journals (
           id bigserial primary key,
           user_id uuid not null references auth.users (id),
           body text not null
         );
         create function public.require_session() returns boolean language plpgsql stable as $$
         begin
           if auth.uid() is null then raise exception 'no session'; end if;
           return true;
         end $$;
         alter table public.notes enable row level security;
         alter table public.journals enable row level security;
         create policy team_read on public.notes for select to authenticated using (
           user_id = auth.uid()
           or exists (select 1 from auth.users u where u.id = auth.uid() and u.email like '%@corp.test'));
         create policy anon_read on public.notes for select to anon using (public.require_session());
         create policy own on public.journals for all to authenticated
           using (user_id = auth.uid()) with check (user_id = auth.uid());",
    )]);
    std::fs::create_dir(dir.path().join("policy_specs")).unwrap();
    std::fs::write(
        dir.path().join("policy_specs/app.toml"),
        "[defaults]\nservice = \"all\"\nanon = \"none\"\n\n[tables.notes]\nauthenticated = { select = \"own\", insert = \"deny\", update = \"none\", delete = \"none\" }\n\n[tables.journals]\nauthenticated = \"own\"\n",
    )
    .unwrap();
    let out = run(&["-q", "test", "--format", "json"], dir.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let cell = |table: &str, identity: &str, command: &str| {
        report["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["table"] == table && c["identity"] == identity && c["command"] == command)
            .cloned()
            .unwrap_or_else(|| panic!("no cell {table} {identity} {command}"))
    };
    for (identity, error) in [
        ("anon", "no session"),
        ("alice", "permission denied for table users"),
    ] {
        let c = cell("public.notes", identity, "select");
        assert_eq!(c["outcome"], "policy_error", "{c}");
        assert_eq!(c["actual"], "error", "{c}");
        assert!(c["detail"].as_str().unwrap().contains(error), "{c}");
        assert_eq!(c["probes"][0]["outcome"]["kind"], "policy_error", "{c}");
    }
    for identity in ["anon", "alice"] {
        let c = cell("public.journals", identity, "select");
        assert_eq!(c["outcome"], "pass", "{c}");
    }
    assert!(
        report["summary"]["policy_errors"].as_u64().unwrap() >= 4,
        "{}",
        report["summary"]
    );
    assert_eq!(
        report["summary"]["inconclusive"], 0,
        "{}",
        report["summary"]
    );

    let out = run(&["-q", "--color", "never", "test"], dir.path());
    let (stdout, _) = text(&out);
    assert!(stdout.contains("⚠ own → error"), "{stdout}");
    assert!(stdout.contains("⚠ none → error"), "{stdout}");
    assert!(
        stdout.contains("policy errors (a policy fails for the identity"),
        "{stdout}"
    );
}

#[test]
fn anon_writes_into_the_apps_own_bucket_are_caught() {
    // The hole (checked in psql): four anon policies scoped to bucket `docs`. Objects
    // live in the app's buckets (one a migration made, one only a policy names), in each
    // identity's folder and outside it.
    let dir = project(&[(
        "20240101000000_storage.sql",
        "insert into storage.buckets (id, name, public) values ('docs', 'docs', false), ('avatars', 'avatars', true);
         create policy \"anon read docs\" on storage.objects for select to anon using (bucket_id = 'docs');
         create policy \"anon upload docs\" on storage.objects for insert to anon with check (bucket_id = 'docs');
         create policy \"anon update docs\" on storage.objects for update to anon using (bucket_id = 'docs');
         create policy \"anon delete docs\" on storage.objects for delete to anon using (bucket_id = 'docs');
         create policy \"own avatar read\" on storage.objects for select to authenticated
           using (bucket_id = 'avatars' and (storage.foldername(name))[1] = auth.uid()::text);
         create policy \"own avatar upload\" on storage.objects for insert to authenticated
           with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = auth.uid()::text);
         create policy \"own receipts\" on storage.objects for select to authenticated
           using (bucket_id in ('receipts') and owner = auth.uid());",
    )]);
    std::fs::create_dir(dir.path().join("policy_specs")).unwrap();
    std::fs::write(
        dir.path().join("policy_specs/storage.toml"),
        "[defaults]\nservice = \"all\"\nanon = \"none\"\n\n[tables.\"storage.objects\"]\nauthenticated = { select = \"own\", insert = \"own\", update = \"none\", delete = \"none\" }\n\n[tables.\"storage.buckets\"]\nauthenticated = \"none\"\n",
    )
    .unwrap();
    let out = run(&["-q", "test", "--format", "json"], dir.path());
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let cell = |identity: &str, command: &str| {
        report["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["table"] == "storage.objects"
                    && c["identity"] == identity
                    && c["command"] == command
            })
            .cloned()
            .unwrap_or_else(|| panic!("no storage.objects cell {identity} {command}"))
    };
    for command in ["select", "update", "delete"] {
        let c = cell("anon", command);
        assert_eq!(c["outcome"], "fail", "{c}");
        assert_eq!(
            c["reached"],
            serde_json::json!(["docs/admin", "docs/alice", "docs/bob", "docs/public"]),
            "{c}"
        );
    }
    let c = cell("anon", "insert");
    assert_eq!(
        (c["outcome"].as_str(), c["actual"].as_str()),
        (Some("fail"), Some("any")),
        "{c}"
    );
    // alice reads her avatar (her folder) and her receipt (she owns it), not her docs object
    let c = cell("alice", "select");
    assert_eq!(
        c["reached"],
        serde_json::json!(["avatars/alice", "receipts/alice"]),
        "{c}"
    );
    assert_eq!(cell("alice", "insert")["outcome"], "pass");
    assert_eq!(
        report["summary"]["inconclusive"], 0,
        "{}",
        report["summary"]
    );
}
