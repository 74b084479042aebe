//! Nothing hangs: a policy that sleeps costs one inconclusive cell, not the run; a migration
//! or a signup trigger that sleeps stops at the migration timeout with its location.

use std::time::{Duration, Instant};

use crate::{common, json, write_spec};

#[test]
fn a_sleeping_policy_yields_one_inconclusive_cell_and_the_run_finishes() {
    let project = common::project(&[(
        "001_notes.sql",
        r#"
create table public.notes (
  id bigint generated always as identity primary key,
  owner_id uuid not null references auth.users (id),
  body text
);
alter table public.notes enable row level security;
create function public.slow_check() returns boolean language sql as $$ select pg_sleep(30) is not null $$;
create policy "read own" on public.notes for select to authenticated
  using (owner_id = auth.uid() and (auth.jwt() ->> 'email' <> 'alice@example.test' or public.slow_check()));
"#,
    )]);
    write_spec(
        project.path(),
        "notes.toml",
        "[defaults]\nanon = \"none\"\nservice = \"all\"\n\n[tables.notes]\n\
         authenticated = { select = \"own\", insert = \"deny\", update = \"none\", delete = \"none\" }\n\
         \n[functions]\nslow_check = [\"anon\", \"authenticated\", \"service_role\"]\n",
    );
    let started = Instant::now();
    let out = common::run(
        &[
            "--probe-timeout",
            "500ms",
            "--call-timeout",
            "500ms",
            "test",
            "--format",
            "json",
        ],
        project.path(),
    );
    let elapsed = started.elapsed();
    let report = json(&out);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out).1);
    let inconclusive: Vec<&serde_json::Value> = report["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "inconclusive")
        .collect();
    assert_eq!(inconclusive.len(), 1, "{:#}", report["cells"]);
    let cell = inconclusive[0];
    assert_eq!(
        (cell["identity"].as_str(), cell["command"].as_str()),
        (Some("alice"), Some("select")),
        "{cell:#}"
    );
    let detail = cell.to_string();
    for named in ["notes", "alice", "slow_check()", "probe timeout"] {
        assert!(detail.contains(named), "{named} not named: {cell:#}");
    }
    let table_cells = report["cells"].as_array().unwrap();
    assert_eq!(
        table_cells
            .iter()
            .filter(|c| c["outcome"] == "pass")
            .count()
            + 1,
        table_cells.len()
    );
    // calling slow_check itself sleeps too: each call stops at the call timeout (1 s), and
    // the cell of every identity that may call it is inconclusive, with the reason
    let calls: Vec<&serde_json::Value> = report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "call")
        .collect();
    assert_eq!(calls.len(), 4, "{:#}", report["functions"]);
    for call in calls {
        assert_eq!(call["outcome"], "inconclusive", "{call:#}");
        assert!(
            call["detail"].as_str().unwrap().contains("call timeout"),
            "{call:#}"
        );
    }
    assert!(elapsed < Duration::from_secs(25), "took {elapsed:?}");
}

#[test]
fn a_sleeping_migration_stops_at_the_timeout_with_its_file_and_line() {
    let project = common::project(&[
        ("001_a.sql", "create table public.a (id int);\n"),
        (
            "002_slow.sql",
            "create table public.b (id int);\n\nselect pg_sleep(30);\ncreate table public.c (id int);\n",
        ),
    ]);
    let started = Instant::now();
    let out = common::run(&["--migration-timeout", "1s", "test"], project.path());
    let elapsed = started.elapsed();
    let (_, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("migrations/002_slow.sql:3:1:"), "{stderr}");
    assert!(stderr.contains("migration timeout"), "{stderr}");
    assert!(stderr.contains("--migration-timeout"), "{stderr}");
    assert!(elapsed < Duration::from_secs(25), "took {elapsed:?}");
}

#[test]
fn a_sleeping_signup_trigger_stops_at_the_timeout() {
    let project = common::project(&[(
        "001_profiles.sql",
        "create table public.profiles (id uuid primary key references auth.users (id));\n\
         alter table public.profiles enable row level security;\n\
         create function public.on_signup() returns trigger language plpgsql security definer \
         set search_path = '' as $$ begin perform pg_sleep(30); return new; end $$;\n\
         create trigger on_signup after insert on auth.users for each row execute function public.on_signup();\n",
    )]);
    std::fs::write(
        project.path().join("rlsgate.toml"),
        "[timeouts]\nmigration = \"1s\"\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = common::run(&["test"], project.path());
    let (_, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did not finish"), "{stderr}");
    assert!(stderr.contains("trigger on auth.users"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
}
