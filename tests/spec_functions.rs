//! Functions as `rlsgate test` gates them: one EXECUTE cell per callable function x identity,
//! declared in `[functions]` / `[function_defaults]`, in every report, in snapshots and in
//! merged partitions.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const SCHEMA: &str = "
create table public.notes (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null references auth.users (id),
  body text not null default ''
);
alter table public.notes enable row level security;
create policy \"own notes\" on public.notes for all to authenticated
  using (owner_id = auth.uid()) with check (owner_id = auth.uid());

-- Only the service role may make a user an administrator.
create function public.promote_user(target uuid) returns void
language sql security definer set search_path = '' as $$
  update auth.users set raw_app_meta_data = raw_app_meta_data || '{\"role\": \"admin\"}' where id = target;
$$;
revoke execute on function public.promote_user(uuid) from public;
revoke execute on function public.promote_user(uuid) from anon;
revoke execute on function public.promote_user(uuid) from authenticated;

-- Two overloads: the one-argument search is public, the two-argument one is for signed-in users.
create function public.search(q text) returns setof public.notes
language sql stable set search_path = '' as $$ select * from public.notes where body like q $$;
create function public.search(q text, lim integer) returns setof public.notes
language sql stable set search_path = '' as $$ select * from public.notes where body like q limit lim $$;
revoke execute on function public.search(text, integer) from public;
revoke execute on function public.search(text, integer) from anon;

-- Neither a trigger function nor an extension's function gets a cell.
create function public.touch() returns trigger language plpgsql set search_path = '' as $$
begin return new; end $$;
create trigger touch before update on public.notes for each row execute function public.touch();
create extension if not exists pg_trgm with schema public;
";

const SPECS: &str = "\
[defaults]
service = \"all\"
anon = \"none\"

[tables.notes]
authenticated = \"own\"

[function_defaults]
service = \"allow\"

[functions]
promote_user = [\"service\"]
\"search(text)\" = \"all\"
\"search(text, integer)\" = [\"authenticated\", \"service_role\"]
";

fn project(specs: Option<&str>, extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    fs::create_dir(&migrations).unwrap();
    fs::write(migrations.join("20240101000000_schema.sql"), SCHEMA).unwrap();
    for (i, sql) in extra.iter().enumerate() {
        fs::write(migrations.join(format!("2024020100000{i}_change.sql")), sql).unwrap();
    }
    if let Some(specs) = specs {
        fs::create_dir(dir.path().join("policy_specs")).unwrap();
        fs::write(dir.path().join("policy_specs/access.toml"), specs).unwrap();
    }
    dir
}

fn rlsgate(project: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rlsgate"))
        .arg("--project")
        .arg(project)
        .arg("--quiet")
        .args(args)
        .env_remove("RLSGATE_DB_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)))
}

/// `function · identity · outcome` of every EXECUTE cell.
fn function_cells(report: &Value) -> Vec<String> {
    cells_of(report, "execute")
}

/// `function · identity · outcome` of every function cell of `action` (`execute`, `call`).
fn cells_of(report: &Value, action: &str) -> Vec<String> {
    report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == action)
        .map(|c| {
            format!(
                "{} · {} · {}",
                c["function"].as_str().unwrap(),
                c["identity"].as_str().unwrap(),
                c["outcome"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn declared_functions_pass_and_every_callable_function_gets_a_cell_per_identity() {
    let dir = project(Some(SPECS), &[]);
    let out = rlsgate(dir.path(), &["test", "--format", "json"]);
    let report = json(&out);
    assert_eq!(out.status.code(), Some(0), "{}", report["functions"]);
    let cells = function_cells(&report);
    assert_eq!(cells.len(), 3 * 5, "{cells:#?}");
    assert!(cells.iter().all(|c| c.ends_with(" · pass")), "{cells:#?}");
    assert!(!cells
        .iter()
        .any(|c| c.contains("touch") || c.contains("similarity")));
    // and one CALL cell per function x identity that may call it, but the service role (it
    // bypasses RLS, so no call can reach past it): search(text) for 4, search(text, integer)
    // for the 3 signed-in users; none of them reaches past the notes' RLS
    let calls = cells_of(&report, "call");
    assert_eq!(calls.len(), 4 + 3, "{calls:#?}");
    assert!(calls.iter().all(|c| c.ends_with(" · pass")), "{calls:#?}");
    assert_eq!(report["summary"]["functions"], 15 + 7);
    assert_eq!(report["summary"]["cells"], 20 + 15 + 7);

    let anon = |name: &str| {
        report["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["function"] == name && c["identity"] == "anon")
            .unwrap()
            .clone()
    };
    let promote = anon("public.promote_user(uuid)");
    assert_eq!(promote["expected"], "deny");
    assert_eq!(promote["actual"], "deny");
    assert_eq!(promote["security_definer"], true);
    assert_eq!(anon("public.search(text)")["actual"], "allow");
    assert_eq!(anon("public.search(text, integer)")["actual"], "deny");
}

#[test]
fn granting_a_security_definer_function_to_anon_fails_the_gate() {
    let dir = project(
        Some(SPECS),
        &["grant execute on function public.promote_user(uuid) to anon;"],
    );
    let out = rlsgate(dir.path(), &["test"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("✗ promote_user(uuid) · anon · execute: expected deny, got allow"),
        "{text}"
    );
    assert!(text.contains("SECURITY DEFINER"), "{text}");
    assert!(text.contains("functions (execute)"), "{text}");
    assert!(text.contains("1 failed"), "{text}");
}

#[test]
fn a_function_recreated_without_its_revokes_is_callable_through_public_again() {
    let dir = project(
        Some(SPECS),
        &["drop function public.promote_user(uuid);
           create function public.promote_user(target uuid) returns void
           language sql security definer set search_path = '' as $$ select $$;"],
    );
    let out = rlsgate(dir.path(), &["test", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let failed: Vec<String> = function_cells(&report)
        .into_iter()
        .filter(|c| c.ends_with(" · fail"))
        .collect();
    assert_eq!(
        failed,
        ["anon", "alice", "bob", "admin"]
            .map(|i| format!("public.promote_user(uuid) · {i} · fail"))
    );
    let detail = report["functions"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("PUBLIC holds EXECUTE"), "{detail}");
}

#[test]
fn function_spec_mistakes_exit_2_located_with_did_you_mean() {
    let specs = SPECS.replace("promote_user = ", "promote_usr = ").replace(
        "[\"authenticated\", \"service_role\"]",
        "[\"authenticatd\"]",
    );
    let dir = project(Some(&specs), &[]);
    let out = rlsgate(dir.path(), &["test"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("error: unknown function `promote_usr`"),
        "{err}"
    );
    assert!(err.contains("policy_specs/access.toml:12:1"), "{err}");
    assert!(err.contains("help: did you mean `promote_user`?"), "{err}");
    assert!(
        err.contains("error: unknown identity or role `authenticatd`"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `authenticated`?"), "{err}");
    assert!(err.contains("^^^^^^^^^^^"), "a caret under the key: {err}");

    let bad_value = project(
        Some(&SPECS.replace("service = \"allow\"", "service = \"alow\"")),
        &[],
    );
    let out = rlsgate(bad_value.path(), &["test"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown value \"alow\" for `service`"),
        "{err}"
    );
    assert!(err.contains("access.toml:9:11"), "{err}");
    assert!(err.contains("did you mean `allow`?"), "{err}");

    let trigger = project(Some(&format!("{SPECS}touch = \"none\"\n")), &[]);
    let out = rlsgate(trigger.path(), &["test"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`touch` is a trigger function"), "{err}");
}

#[test]
fn unspecified_functions_fail_unless_allowed() {
    let specs = SPECS.split("[function_defaults]").next().unwrap();
    let dir = project(Some(specs), &[]);
    let out = rlsgate(dir.path(), &["test"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("15 unspecified"), "{text}");
    assert!(
        text.contains("? promote_user(uuid) (execute): anon, alice, bob, admin, service"),
        "{text}"
    );
    let allowed = rlsgate(
        dir.path(),
        &["test", "--allow-unspecified", "--format", "json"],
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", stdout(&allowed));
    let report = json(&allowed);
    let hint = |function: &str| {
        report["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["function"] == function)
            .unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let promote = hint("public.promote_user(uuid)");
    assert!(promote.contains("(`promote_user = [...]`)"), "{promote}");
    let search = hint("public.search(text, integer)");
    assert!(
        search.contains("(`\"search(text, integer)\" = [...]`)"),
        "{search}"
    );
}

#[test]
fn snapshot_writes_the_functions_and_the_result_passes() {
    let dir = project(None, &[]);
    let check = rlsgate(dir.path(), &["snapshot", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check)
            .contains("promote_user(uuid) · anon · execute: no spec, the database does deny"),
        "{}",
        stdout(&check)
    );
    let write = rlsgate(dir.path(), &["snapshot"]);
    assert_eq!(write.status.code(), Some(0), "{}", stderr(&write));
    let written = fs::read_to_string(dir.path().join("policy_specs/access.toml")).unwrap();
    for line in [
        "[functions]",
        "promote_user = [\"service\"]",
        "\"search(text)\" = \"all\"",
        "\"search(text, integer)\" = [\"authenticated\", \"service\"]",
    ] {
        assert!(written.contains(line), "{line} in\n{written}");
    }
    let check = rlsgate(dir.path(), &["snapshot", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    assert_eq!(rlsgate(dir.path(), &["test"]).status.code(), Some(0));
}

#[test]
fn snapshot_rewrites_a_wrong_line_in_place() {
    let specs = SPECS.replace(
        "promote_user = [\"service\"]",
        "promote_user = \"all\"   # who may promote",
    );
    let dir = project(Some(&specs), &[]);
    let out = rlsgate(dir.path(), &["snapshot"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = fs::read_to_string(dir.path().join("policy_specs/access.toml")).unwrap();
    assert!(
        written.contains("promote_user = [\"service\"]   # who may promote"),
        "{written}"
    );
    assert_eq!(written.matches("promote_user").count(), 1, "{written}");

    let section = format!(
        "{}\n[functions.\"search(text)\"]\nanon = \"deny\"\n",
        SPECS.replace("\"search(text)\" = \"all\"\n", "")
    );
    let dir = project(Some(&section), &[]);
    let out = rlsgate(dir.path(), &["snapshot"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = fs::read_to_string(dir.path().join("policy_specs/access.toml")).unwrap();
    assert!(
        written.contains("\n\"search(text)\" = \"all\"\n"),
        "{written}"
    );
    assert!(
        !written.contains("[functions.\"search(text)\"]"),
        "{written}"
    );
    assert_eq!(rlsgate(dir.path(), &["test"]).status.code(), Some(0));
}

#[test]
fn reports_and_filters_carry_the_function_cells() {
    let dir = project(
        Some(SPECS),
        &["grant execute on function public.promote_user(uuid) to anon;"],
    );
    let junit = stdout(&rlsgate(dir.path(), &["test", "--format", "junit"]));
    assert!(
        junit.contains(
            r#"<testsuite name="functions" tests="15" failures="1" errors="0" skipped="0">"#
        ),
        "{junit}"
    );
    assert!(junit.contains(r#"name="public.promote_user(uuid) anon execute""#));

    let markdown = stdout(&rlsgate(dir.path(), &["test", "--format", "markdown"]));
    assert!(markdown.contains("### Functions (execute)"), "{markdown}");
    assert!(
        markdown
            .contains("- ✗ **promote_user(uuid)** · anon · execute: expected `deny`, got `allow`"),
        "{markdown}"
    );
    // the CALL cells too, a row per function, the identities in the run's order
    let calls = markdown
        .split("functions (call: rows reached past the tables' RLS)")
        .nth(1)
        .expect("a grid of CALL cells");
    assert!(
        calls.contains("| function | anon | alice | bob | admin |"),
        "{markdown}"
    );
    assert!(
        calls.contains("| search(text) | ✓ within | ✓ within | ✓ within | ✓ within |"),
        "{markdown}"
    );

    let alice = json(&rlsgate(
        dir.path(),
        &["test", "--format", "json", "--identity", "alice"],
    ));
    let cells = function_cells(&alice);
    assert_eq!(cells.len(), 3);
    assert!(cells.iter().all(|c| c.contains(" · alice · ")));

    let one_table = json(&rlsgate(
        dir.path(),
        &["test", "--format", "json", "--table", "notes"],
    ));
    assert_eq!(one_table["functions"].as_array().unwrap().len(), 0);
}

#[test]
fn partitions_judge_functions_once_and_merge_them() {
    let dir = project(
        Some(SPECS),
        &["grant execute on function public.promote_user(uuid) to anon;"],
    );
    let scratch = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for k in 1..=2 {
        let path = scratch.path().join(format!("share{k}.json"));
        let share = format!("{k}/2");
        rlsgate(
            dir.path(),
            &[
                "test",
                "--format",
                "json",
                "--partition",
                &share,
                "--output",
                path.to_str().unwrap(),
            ],
        );
        let report: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        // 15 EXECUTE cells, 8 CALL cells (anon may now call promote_user)
        let expected = if k == 1 { 15 + 8 } else { 0 };
        assert_eq!(report["functions"].as_array().map_or(0, Vec::len), expected);
        paths.push(path);
    }
    let merged = Command::new(env!("CARGO_BIN_EXE_rlsgate"))
        .args(["merge", "--format", "json"])
        .args(&paths)
        .output()
        .unwrap();
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    let merged = json(&merged);
    assert_eq!(function_cells(&merged).len(), 15);
    assert_eq!(merged["summary"]["failed"], 1);

    let twice = Command::new(env!("CARGO_BIN_EXE_rlsgate"))
        .args(["merge"])
        .args([&paths[0], &paths[0]])
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(2));
}

#[test]
fn diff_reports_a_function_anon_can_now_call_as_widened() {
    let scratch = tempfile::tempdir().unwrap();
    let report = |dir: &tempfile::TempDir, name: &str| {
        let path = scratch.path().join(name);
        rlsgate(
            dir.path(),
            &[
                "test",
                "--format",
                "json",
                "--output",
                path.to_str().unwrap(),
            ],
        );
        path
    };
    let before = report(&project(Some(SPECS), &[]), "before.json");
    let after = report(
        &project(
            Some(SPECS),
            &["grant execute on function public.promote_user(uuid) to anon;"],
        ),
        "after.json",
    );
    let diff = |a: &Path, b: &Path, format: &str| {
        Command::new(env!("CARGO_BIN_EXE_rlsgate"))
            .args(["diff", "--format", format])
            .args([a, b])
            .output()
            .unwrap()
    };
    let widened = diff(&before, &after, "human");
    assert_eq!(widened.status.code(), Some(1));
    let text = stdout(&widened);
    assert!(
        text.contains("+ anon can now call promote_user(uuid)"),
        "{text}"
    );
    assert!(text.contains("1 widened, 0 narrowed"), "{text}");
    let markdown = stdout(&diff(&before, &after, "markdown"));
    assert!(markdown.contains("#### Functions (execute)"), "{markdown}");

    let narrowed = diff(&after, &before, "human");
    assert_eq!(narrowed.status.code(), Some(0));
    assert!(stdout(&narrowed).contains("- anon can no longer call promote_user(uuid)"));
}
