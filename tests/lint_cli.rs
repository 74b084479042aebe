//! `rlsgate lint` and `rlsgate rule` as a user runs them: exit codes, formats, baselines,
//! configuration, and input that must give a diagnostic rather than a crash.

use std::path::Path;
use std::process::{Command, Output};

fn rlsgate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rlsgate"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RLSGATE_DB_URL")
        .output()
        .expect("run rlsgate")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

const OPEN_TABLE: &[u8] = b"create table public.notes (id int);\n";
const SAFE_TABLE: &[u8] = b"create table public.notes (id int, owner uuid);\nalter table public.notes enable row level security;\ncreate policy \"own\" on public.notes for select to authenticated using ((select auth.uid()) = owner);\n";

#[test]
fn clean_project_exits_0_and_findings_exit_1() {
    let clean = project(&[("supabase/migrations/001.sql", SAFE_TABLE)]);
    let o = rlsgate(clean.path(), &["lint"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o), "No findings.\n");

    let bad = project(&[("migrations/001.sql", OPEN_TABLE)]);
    let o = rlsgate(bad.path(), &["lint"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(
            "error: table public.notes in exposed schema `public` never gets row level security"
        ),
        "{out}"
    );
    assert!(out.contains(" --> migrations/001.sql:1:1"), "{out}");
    assert!(
        out.contains("= help: add `alter table public.notes enable row level security;`"),
        "{out}"
    );
    assert!(out.contains("docs/rules.md#rls-disabled"), "{out}");
}

#[test]
fn fail_on_threshold() {
    let dir = project(&[(
        "migrations/001.sql",
        b"create table public.t (id int);\nalter table public.t enable row level security;\n",
    )]);
    assert_eq!(
        rlsgate(dir.path(), &["lint"]).status.code(),
        Some(0),
        "an info note does not fail by default"
    );
    assert_eq!(
        rlsgate(dir.path(), &["lint", "--fail-on", "info"])
            .status
            .code(),
        Some(1)
    );
    let bad = project(&[("migrations/001.sql", OPEN_TABLE)]);
    assert_eq!(
        rlsgate(bad.path(), &["lint", "--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
    let o = rlsgate(bad.path(), &["lint", "--fail-on", "fatal"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value 'fatal' for '--fail-on <SEVERITY>'")
            && stderr(&o).contains("[possible values: error, warning, info, never]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn explicit_paths_files_and_directories() {
    let dir = project(&[
        ("a/001.sql", OPEN_TABLE),
        (
            "a/002.sql",
            b"alter table notes enable row level security;\n",
        ),
        ("b.sql", OPEN_TABLE),
    ]);
    let o = rlsgate(dir.path(), &["lint", "a", "--fail-on", "warning"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = rlsgate(dir.path(), &["lint", "b.sql"]);
    assert_eq!(o.status.code(), Some(1));
    let o = rlsgate(dir.path(), &["lint", "missing.sql"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing.sql: no such file or directory"),
        "{}",
        stderr(&o)
    );
    let empty = tempfile::tempdir().unwrap();
    let o = rlsgate(empty.path(), &["lint"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no migrations found"), "{}", stderr(&o));
}

#[test]
fn json_format_is_the_documented_contract() {
    let dir = project(&[("migrations/001.sql", OPEN_TABLE)]);
    let o = rlsgate(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["rule"], "rls-disabled");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "migrations/001.sql");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(d["end_line"], 1);
    assert!(d["message"].as_str().unwrap().contains("public.notes"));
    assert_eq!(v["summary"]["errors"], 1);
}

#[test]
fn sarif_github_and_junit_formats() {
    let dir = project(&[("migrations/001.sql", OPEN_TABLE)]);
    let o = rlsgate(dir.path(), &["lint", "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let result = &v["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "rls-disabled");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "migrations/001.sql"
    );

    let o = rlsgate(dir.path(), &["lint", "--format", "github"]);
    assert!(
        stdout(&o).starts_with("::error file=migrations/001.sql,line=1,col=1,"),
        "{}",
        stdout(&o)
    );

    let o = rlsgate(dir.path(), &["lint", "--format", "junit"]);
    assert!(
        stdout(&o).contains(r#"<testcase name="rls-disabled: migrations/001.sql:1:1""#),
        "{}",
        stdout(&o)
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn baseline_fails_only_on_new_findings() {
    let dir = project(&[("migrations/001.sql", OPEN_TABLE)]);
    let o = rlsgate(dir.path(), &["lint", "--write-baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(1));
    let o = rlsgate(dir.path(), &["lint", "--baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    std::fs::write(
        dir.path().join("migrations/000_header.sql"),
        "-- moves nothing\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("migrations/001.sql"),
        b"\n\ncreate table public.notes (id int);\ncreate table public.more (id int);\n",
    )
    .unwrap();
    let o = rlsgate(
        dir.path(),
        &["lint", "--baseline", "baseline.json", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let objects: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["object"].as_str().unwrap())
        .collect();
    assert_eq!(
        objects,
        ["public.more"],
        "moved lines keep matching the baseline"
    );
    std::fs::write(dir.path().join("broken.json"), "{").unwrap();
    let o = rlsgate(dir.path(), &["lint", "--baseline", "broken.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("baseline broken.json is not valid"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn config_file_disables_and_reclassifies_rules() {
    let dir = project(&[
        ("migrations/001.sql", OPEN_TABLE),
        (
            "rlsgate.toml",
            b"[lint.severity]\nrls-disabled = \"warning\"\n",
        ),
    ]);
    let o = rlsgate(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a warning does not fail by default"
    );
    assert!(stdout(&o).contains(r#""severity": "warning""#));
    std::fs::write(
        dir.path().join("rlsgate.toml"),
        "[lint]\ndisable = [\"rls-disabled\"]\n",
    )
    .unwrap();
    assert_eq!(stdout(&rlsgate(dir.path(), &["lint"])), "No findings.\n");
    std::fs::write(
        dir.path().join("rlsgate.toml"),
        "[lint]\ndisable = [\"rls-disable\"]\n",
    )
    .unwrap();
    let o = rlsgate(dir.path(), &["lint"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "rlsgate.toml:2:12: unknown rule `rls-disable`; did you mean `rls-disabled`?"
        ),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        dir.path().join("rlsgate.toml"),
        "[lint]\nexposed_schemas = [\"api\"]\n",
    )
    .unwrap();
    assert_eq!(
        rlsgate(dir.path(), &["lint"]).status.code(),
        Some(0),
        "public is no longer exposed"
    );
}

#[test]
fn supabase_config_exposes_more_schemas() {
    let dir = project(&[
        ("supabase/migrations/001.sql", b"create schema api;\ncreate table api.orders (id int);\ngrant select on all tables in schema api to anon;\n"),
        ("supabase/config.toml", b"[api]\nschemas = [\"public\", \"graphql_public\", \"api\"]\n"),
    ]);
    let o = rlsgate(dir.path(), &["lint"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("table api.orders in exposed schema `api`"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn suppression_comments() {
    let dir = project(&[(
        "migrations/001.sql",
        b"-- rlsgate-ignore rls-disabled: reference data, read-only grants below\ncreate table public.countries (code text);\nrevoke insert, update, delete on public.countries from anon, authenticated;\n",
    )]);
    let o = rlsgate(dir.path(), &["lint"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn unreadable_input_is_a_diagnostic_not_a_crash() {
    let mut big = b"select '".to_vec();
    big.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    big.extend(b"';\ncreate table public.after_big (id int);\n");
    let dir = project(&[
        ("m/001_binary.sql", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        (
            "m/002_latin1.sql",
            b"create table public.caf\xe9 (id int);\n",
        ),
        (
            "m/003_dollar.sql",
            b"create table public.ok (id int);\ncreate function f() returns int as $$ select 1;\n",
        ),
        ("m/004_big.sql", &big),
    ]);
    let o = rlsgate(dir.path(), &["lint", "m", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}:{}:{} {}",
                d["rule"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["line"],
                d["column"],
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    let has = |needle: &str| found.iter().any(|f| f.contains(needle));
    assert!(
        has("invalid-input m/001_binary.sql:3:1 binary file: NUL byte at byte offset 8"),
        "{found:#?}"
    );
    assert!(
        has("invalid-input m/002_latin1.sql:1:24 invalid UTF-8 at byte offset 23"),
        "{found:#?}"
    );
    assert!(
        !has("rls-disabled m/002_latin1.sql"),
        "the cut statement is not linted: {found:#?}"
    );
    assert!(
        has("invalid-input m/003_dollar.sql:2:36 unterminated dollar-quoted string"),
        "{found:#?}"
    );
    assert!(
        has("rls-disabled m/003_dollar.sql:1:1"),
        "statements before the error are linted: {found:#?}"
    );
    assert!(
        has("rls-disabled m/004_big.sql:2:1"),
        "the statement after a 10 MB one is linted: {found:#?}"
    );
}

#[test]
fn rule_lists_and_documents_rules() {
    let dir = tempfile::tempdir().unwrap();
    let o = rlsgate(dir.path(), &["rule"]);
    assert_eq!(o.status.code(), Some(0));
    let list = stdout(&o);
    for rule in rlsgate::lint::RULES {
        assert!(list.contains(rule.id), "{} missing from the list", rule.id);
    }
    let o = rlsgate(dir.path(), &["rule", "security-definer-executable"]);
    assert_eq!(o.status.code(), Some(0));
    let doc = stdout(&o);
    assert!(doc.starts_with("# security-definer-executable\n"));
    for part in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "```sql",
        "exec_sql",
    ] {
        assert!(doc.contains(part), "{part} missing:\n{doc}");
    }
    let o = rlsgate(dir.path(), &["rule", "rls-disable"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown rule `rls-disable`; did you mean `rls-disabled`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_syntax_error_is_a_lint_finding_and_stops_test() {
    let dir = project(&[(
        "supabase/migrations/20240101000000_app.sql",
        b"create table public.notes (id int, owner uuid);\ncreate tabel public.tags (id int);\nalter table public.notes enable row level security;\n",
    )]);
    let o = rlsgate(dir.path(), &["lint"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("error: syntax error at or near \"tabel\""),
        "{out}"
    );
    assert!(
        out.contains(" --> supabase/migrations/20240101000000_app.sql:2:8"),
        "{out}"
    );
    assert!(!out.contains("unparsed-statement"), "{out}");

    let o = rlsgate(dir.path(), &["lint", "--db"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("syntax error at or near \"tabel\""));
    assert!(
        stderr(&o).contains("the catalog lint did not run"),
        "{}",
        stderr(&o)
    );

    let o = rlsgate(dir.path(), &["test", "--allow-unspecified"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("supabase/migrations/20240101000000_app.sql:2:8")
            && stderr(&o).contains("syntax error at or near \"tabel\""),
        "test names the same place: {}",
        stderr(&o)
    );
}
