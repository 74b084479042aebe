//! A project in the Supabase CLI's layout, read as the CLI reads it: only files named
//! `<timestamp>_name.sql` are migrations, the seed files `supabase start` applies are applied
//! by `test` (`--no-seed` skips them), and `[db] major_version` picks the server.

mod common;

use std::path::Path;

use common::{run, text};

/// A scratch project with these files (path relative to the project, content).
fn layout(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

/// `rlsgate test --allow-unspecified --format json` with these extra arguments: (exit code,
/// report, stderr).
fn test(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["-q", "test", "--allow-unspecified", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args, dir);
    let (stdout, stderr) = text(&out);
    let report = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), report, stderr)
}

const TABLE: &str = "create table public.events (id bigint primary key);
alter table public.events enable row level security;";

#[test]
fn files_the_cli_skips_are_not_applied_and_are_named() {
    let dir = layout(&[
        ("supabase/migrations/20240101000000_notes.sql", TABLE),
        ("supabase/migrations/seed.sql", "select 1/0;"),
        ("supabase/migrations/local_20240102_fix.sql", "select 1/0;"),
    ]);
    let (code, _, stderr) = test(dir.path(), &[]);
    assert_ne!(code, 2, "{stderr}");
    for skipped in ["seed.sql", "local_20240102_fix.sql"] {
        assert!(
            stderr.contains(&format!(
                "supabase/migrations/{skipped}: not applied: the Supabase CLI applies only files named `<timestamp>_name.sql`"
            )),
            "{skipped}: {stderr}"
        );
    }
}

/// A migrations folder none of whose files the CLI applies is not a clean project with nothing
/// in it: the run stops (exit 2) and says how to name the files. A plain `migrations/` folder
/// (no Supabase layout) applies every file, whatever its name.
#[test]
fn a_folder_whose_files_the_cli_skips_all_is_an_error_not_a_clean_run() {
    let dir = layout(&[
        ("supabase/migrations/add_events.sql", TABLE),
        ("supabase/migrations/fix_events.sql", "select 1;"),
    ]);
    let (code, report, stderr) = test(dir.path(), &[]);
    assert_eq!(code, 2, "{report} {stderr}");
    assert!(
        stderr.contains(
            "no migration to apply: none of the 2 *.sql files in supabase/migrations is named \
             `<timestamp>_name.sql` (e.g. add_events.sql)"
        ),
        "{stderr}"
    );

    let plain = layout(&[("migrations/add_events.sql", TABLE)]);
    let (code, report, stderr) = test(plain.path(), &[]);
    assert_ne!(code, 2, "{stderr}");
    assert_eq!(report["summary"]["cells"], 20, "{report}");
}

/// A later migration failing on a table only a skipped file creates says so, and how to fix it.
#[test]
fn a_table_only_a_skipped_file_creates_is_named_in_the_failure() {
    let dir = layout(&[
        (
            "supabase/migrations/20240101000000-create-events.sql",
            TABLE,
        ),
        (
            "supabase/migrations/20240102000000_policy.sql",
            "create policy p on public.events for select using (true);",
        ),
    ]);
    let (code, _, stderr) = test(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "supabase/migrations/20240101000000-create-events.sql:1 creates it, but the Supabase \
             CLI skips that file (not named `<timestamp>_name.sql`, warning below)"
        ),
        "{stderr}"
    );
}

/// A seed that fails says it is a seed and how to run without it; `--no-seed` then runs.
#[test]
fn a_failing_seed_says_so_and_no_seed_runs_without_it() {
    let dir = layout(&[
        ("supabase/migrations/20240101000000_events.sql", TABLE),
        (
            "supabase/seed.sql",
            "insert into public.events (id) values (1), (1);",
        ),
    ]);
    let (code, _, stderr) = test(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("supabase/seed.sql:1:1"), "{stderr}");
    assert!(
        stderr.contains("this is a seed file, applied after the migrations as `supabase start`"),
        "{stderr}"
    );
    let (code, report, stderr) = test(dir.path(), &["--no-seed"]);
    assert_ne!(code, 2, "{stderr}");
    assert_eq!(report["summary"]["cells"], 20, "{report}");
}

#[test]
fn a_data_only_dump_seed_applies_and_no_seed_skips_it() {
    // `supabase db dump --data-only` writes seeds that turn triggers off first; the trigger
    // here refuses every row the seed inserts. anon reads notes only once a flag is seeded.
    let dir = layout(&[
        (
            "supabase/migrations/20240101000000_notes.sql",
            "create schema private;
             create table private.flags (id int);
             grant usage on schema private to anon;
             grant select on private.flags to anon;
             create function private.refuse() returns trigger language plpgsql as
               $$ begin raise exception 'flags are set by hand'; end $$;
             create trigger refuse before insert on private.flags for each row execute function private.refuse();
             create table public.notes (id bigint primary key);
             alter table public.notes enable row level security;
             create policy read on public.notes for select to anon using (exists (select from private.flags));",
        ),
        (
            "supabase/seed.sql",
            "SET session_replication_role = replica;
             INSERT INTO private.flags (id) VALUES (1);
             RESET ALL;",
        ),
    ]);
    let anon_select = |report: &serde_json::Value| {
        report["cells"]
            .as_array()
            .unwrap_or_else(|| panic!("no cells: {report}"))
            .iter()
            .find(|c| {
                c["table"] == "public.notes" && c["identity"] == "anon" && c["command"] == "select"
            })
            .map(|c| c["actual"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|| panic!("no anon select cell: {report}"))
    };
    let (code, report, stderr) = test(dir.path(), &[]);
    assert_ne!(code, 2, "{stderr}");
    assert_eq!(anon_select(&report), "all", "{stderr}");
    let (code, report, stderr) = test(dir.path(), &["--no-seed"]);
    assert_ne!(code, 2, "{stderr}");
    assert_eq!(anon_select(&report), "none", "{stderr}");

    std::fs::write(dir.path().join("supabase/seed.sql"), "select 1/0;").unwrap();
    let (code, _, stderr) = test(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("supabase/seed.sql:1"), "{stderr}");
    let (code, _, stderr) = test(dir.path(), &["--no-seed"]);
    assert_ne!(code, 2, "{stderr}");
}

#[test]
fn seed_sql_paths_apply_in_order_and_a_pattern_matching_nothing_is_named() {
    let dir = layout(&[
        ("supabase/migrations/20240101000000_notes.sql", TABLE),
        (
            "supabase/config.toml",
            "[db]\nmajor_version = 15\n[db.seed]\nenabled = true\nsql_paths = ['./seeds/*.sql', './missing/*.sql']\n",
        ),
        (
            "supabase/seeds/01_events.sql",
            "insert into public.events values (1);",
        ),
        (
            "supabase/seeds/02_more.sql",
            "insert into public.events select id + 1 from public.events;",
        ),
        ("supabase/seed.sql", "select 1/0;"),
    ]);
    let (code, _, stderr) = test(dir.path(), &[]);
    assert_ne!(code, 2, "{stderr}");
    assert!(
        stderr.contains("[db.seed] sql_paths: no file matches `./missing/*.sql`"),
        "{stderr}"
    );
    std::fs::write(
        dir.path().join("supabase/seeds/02_more.sql"),
        "do $$ begin if (select count(*) from public.events) <> 1 then raise exception 'order'; end if; end $$;
         select 1/0;",
    )
    .unwrap();
    let (code, _, stderr) = test(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("supabase/seeds/02_more.sql:2"), "{stderr}");
}

#[test]
fn major_version_picks_the_matching_server_or_says_what_it_used() {
    let config = |v: u32| format!("[db]\nmajor_version = {v}\n");
    let dir = layout(&[
        ("supabase/migrations/20240101000000_notes.sql", TABLE),
        ("supabase/config.toml", &config(99)),
    ]);
    let (code, report, stderr) = test(dir.path(), &[]);
    assert_ne!(code, 2, "{stderr}");
    let used = report["meta"]["postgres"]
        .as_str()
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    assert!(
        stderr.contains(&format!(
            "[db] major_version = 99, but no Postgres 99 server is installed here; using Postgres {used} from"
        )),
        "{stderr}"
    );

    // CI installs a second major version and names its bin directory here.
    let Some(pg17) = std::env::var_os("RLSGATE_TEST_PG17_BIN") else {
        eprintln!("RLSGATE_TEST_PG17_BIN is not set: the Postgres 17 half of this test is skipped");
        return;
    };
    let pg15 = rlsgate::cluster::find_binaries(Some(15)).expect("Postgres 15");
    let both = std::env::join_paths([pg15.dir.as_os_str(), pg17.as_os_str()]).unwrap();
    for (wanted, expect) in [(17, "17."), (15, "15.")] {
        std::fs::write(dir.path().join("supabase/config.toml"), config(wanted)).unwrap();
        let out = common::bin()
            .env("RLSGATE_PG_BIN", &both)
            .arg("--project")
            .arg(dir.path())
            .args(["-q", "test", "--allow-unspecified", "--format", "json"])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert_ne!(out.status.code(), Some(2), "{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let version = report["meta"]["postgres"].as_str().unwrap_or_default();
        assert!(version.starts_with(expect), "{wanted}: ran on {version}");
        assert!(!stderr.contains("major_version"), "{stderr}");
    }
}

#[test]
fn the_database_carries_the_exposed_schemas_for_postgrest_and_splinter() {
    let dir = layout(&[
        ("supabase/migrations/20240101000000_notes.sql", TABLE),
        (
            "supabase/config.toml",
            "[api]\nschemas = ['public', 'api', 'graphql_public']\n",
        ),
    ]);
    let project = rlsgate::project::Project::load(dir.path()).unwrap();
    let db = rlsgate::migrate::Database::open(
        &project,
        &rlsgate::migrate::OpenOptions::default(),
        &rlsgate::terminal::Progress::hidden(),
    )
    .unwrap();
    let mut later = db.cluster().unwrap().connect("postgres").unwrap();
    let schemas: String = later
        .query_one("select current_setting('pgrst.db_schemas')", &[])
        .unwrap()
        .get(0);
    assert_eq!(schemas, "public,api,graphql_public");
}

#[test]
fn seed_rows_are_templates_for_probe_rows() {
    // A trigger accepts only the platforms a lookup table lists; nothing in the schema says
    // which. The seed's device row holds one, and probe rows start from it.
    let schema = "create schema private;
         create table private.platforms (name text primary key);
         create function public.check_platform() returns trigger language plpgsql
           security definer set search_path = '' as $$
         begin
           if not exists (select from private.platforms where name = new.platform) then
             raise exception 'unsupported platform';
           end if;
           return new;
         end $$;
         create table public.devices (
           id uuid primary key default gen_random_uuid(),
           owner_id uuid references auth.users (id),
           platform text not null
         );
         create trigger check_platform before insert on public.devices
           for each row execute function public.check_platform();
         alter table public.devices enable row level security;
         create policy own on public.devices for all to authenticated
           using (owner_id = auth.uid()) with check (owner_id = auth.uid());";
    let platforms = "insert into private.platforms values ('ios-17'), ('android-14');";
    let inconclusive = |seed: &str| {
        let dir = layout(&[
            ("supabase/migrations/20240101000000_devices.sql", schema),
            ("supabase/seed.sql", seed),
        ]);
        let (code, report, stderr) = test(dir.path(), &[]);
        assert_ne!(code, 2, "{stderr}");
        report["summary"]["inconclusive"].as_u64().unwrap()
    };
    let with_device =
        format!("{platforms}\ninsert into public.devices (platform) values ('ios-17');");
    assert_eq!(inconclusive(&with_device), 0);
    assert!(inconclusive(platforms) > 0, "no template, yet conclusive");
}
