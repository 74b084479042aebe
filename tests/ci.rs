//! rlsgate as a CI job meets it: SARIF every code-scanning upload accepts (validated against
//! the official SARIF 2.1.0 schema, `tests/data/sarif-schema-2.1.0.json`, the OASIS errata01
//! schema as published in oasis-tcs/sarif-spec), JUnit counts that agree with the exit code,
//! output that fits an 80-column terminal, help, completions, man pages, and `rlsgate init`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn rlsgate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rlsgate"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RLSGATE_DB_URL")
        .env_remove("COLUMNS")
        .output()
        .expect("run rlsgate")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The demo project (migrations, specs, fixtures) in a scratch directory, plus `extra`
/// migrations.
fn demo_copy(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in ["migrations", "policy_specs", "fixtures"] {
        copy_dir(&repo().join(entry), &dir.path().join(entry));
    }
    for (name, sql) in extra {
        std::fs::write(dir.path().join("migrations").join(name), sql).unwrap();
    }
    dir
}

/// Every error the official schema finds in `log`, and every result without a location.
fn sarif_problems(log: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let mut problems: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    for run in log["runs"].as_array().into_iter().flatten() {
        for (i, result) in run["results"].as_array().into_iter().flatten().enumerate() {
            let located = result["locations"]
                .as_array()
                .is_some_and(|ls| !ls.is_empty())
                && result["locations"].as_array().unwrap().iter().all(|l| {
                    let physical = &l["physicalLocation"];
                    physical["artifactLocation"]["uri"]
                        .as_str()
                        .is_some_and(|u| !u.is_empty() && !u.starts_with('/'))
                        && physical["region"]["startLine"]
                            .as_u64()
                            .is_some_and(|n| n >= 1)
                });
            if !located {
                problems.push(format!(
                    "result {i} has no repository-relative location: {result}"
                ));
            }
            if result["partialFingerprints"]["rlsgate/v1"]
                .as_str()
                .is_none()
            {
                problems.push(format!("result {i} has no partial fingerprint"));
            }
        }
        for rule in run["tool"]["driver"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let score = rule["properties"]["security-severity"]
                .as_str()
                .and_then(|s| s.parse::<f64>().ok());
            if !score.is_some_and(|s| (0.0..=10.0).contains(&s)) {
                problems.push(format!("rule {} has no security-severity", rule["id"]));
            }
        }
    }
    problems
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().expect("results")
}

#[test]
fn the_schema_check_catches_a_broken_log() {
    let broken = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "x" } },
                   "results": [{ "message": { "text": "m" }, "level": "fatal" }] }]
    });
    let problems = sarif_problems(&broken);
    assert!(problems.iter().any(|p| p.contains("fatal")), "{problems:?}");
    assert!(problems
        .iter()
        .any(|p| p.contains("no repository-relative location")));
}

const DYNAMIC_SQL: &str = "\
create table public.notes (id int, owner uuid);
alter table public.notes enable row level security;
create policy \"own\" on public.notes for select to authenticated using ((select auth.uid()) = owner);
do $$ begin
  execute 'create table public.dyn_notes (id int)';
  execute 'create table public.' || 'hid' || 'den (id int)';
end $$;
";

#[test]
fn lint_sarif_is_valid_and_every_result_is_located() {
    let dir = project(&[
        ("migrations/001 init.sql", DYNAMIC_SQL),
        ("migrations/002.sql", "create table public.open (id int);\n"),
    ]);
    let o = rlsgate(dir.path(), &["lint", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sarif_problems(&log), Vec::<String>::new());
    let uris: Vec<&str> = results(&log)
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"migrations/001%20init.sql"), "{uris:?}");

    // Absolute paths still give repository-relative URIs.
    let absolute = dir.path().join("migrations");
    let o = rlsgate(
        dir.path(),
        &["lint", "--format", "sarif", absolute.to_str().unwrap()],
    );
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sarif_problems(&log), Vec::<String>::new());
    let uri = &results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert!(uri.as_str().unwrap().starts_with("migrations/"), "{uri}");

    // Fingerprints do not move when lines are added above a finding.
    let before = results(&log)
        .iter()
        .find(|r| r["ruleId"] == "rls-disabled")
        .unwrap()["partialFingerprints"]
        .clone();
    std::fs::write(
        dir.path().join("migrations/002.sql"),
        "-- a comment\n\ncreate table public.open (id int);\n",
    )
    .unwrap();
    let o = rlsgate(dir.path(), &["lint", "--format", "sarif"]);
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    let moved = results(&log)
        .iter()
        .find(|r| r["ruleId"] == "rls-disabled")
        .unwrap();
    assert_eq!(
        moved["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert_eq!(moved["partialFingerprints"], before);
}

#[test]
fn lint_db_sarif_locates_objects_made_by_dynamic_sql() {
    let dir = project(&[("supabase/migrations/001_init.sql", DYNAMIC_SQL)]);
    let o = rlsgate(dir.path(), &["lint", "--db", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sarif_problems(&log), Vec::<String>::new());
    let disabled: Vec<&Value> = results(&log)
        .iter()
        .filter(|r| r["ruleId"] == "rls-disabled")
        .collect();
    let at = |object: &str| {
        let r = disabled
            .iter()
            .find(|r| r["properties"]["object"] == object)
            .unwrap_or_else(|| panic!("no rls-disabled for {object}: {disabled:?}"));
        let physical = &r["locations"][0]["physicalLocation"];
        (
            physical["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string(),
            physical["region"]["startLine"].as_u64().unwrap(),
            r["message"]["text"].as_str().unwrap().to_string(),
        )
    };
    let (uri, line, _) = at("public.dyn_notes");
    assert_eq!(
        (uri.as_str(), line),
        ("supabase/migrations/001_init.sql", 4),
        "the DO block"
    );
    let (uri, line, message) = at("public.hidden");
    assert_eq!(
        (uri.as_str(), line),
        ("supabase/migrations/001_init.sql", 1)
    );
    assert!(
        message.contains("no migration statement names this object"),
        "{message}"
    );

    // With --project, catalog findings name files as the static lint does.
    let parent = dir.path().parent().unwrap();
    let name = dir.path().file_name().unwrap().to_str().unwrap();
    let o = rlsgate(
        parent,
        &["--project", name, "lint", "--db", "--format", "json"],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    for d in v["diagnostics"].as_array().unwrap() {
        if let Some(file) = d["file"].as_str() {
            assert!(
                file.starts_with(&format!("{name}/supabase/migrations/")),
                "{file}"
            );
        }
    }
}

/// `failures + errors` of the `<testsuites>` element.
fn junit_failures(xml: &str) -> u64 {
    let head = xml
        .lines()
        .find(|l| l.starts_with("<testsuites"))
        .expect("testsuites");
    ["failures", "errors"]
        .iter()
        .map(|attr| {
            let at = head.find(&format!(" {attr}=\"")).expect(attr) + attr.len() + 3;
            head[at..]
                .split('"')
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum()
}

#[test]
fn junit_failures_agree_with_the_exit_code() {
    // A catalog lint error and no failed cell: exit 1, so the report must show a failure.
    let agent = repo().join("examples/agent-creator");
    let o = rlsgate(&agent, &["test", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let xml = stdout(&o);
    assert_eq!(junit_failures(&xml), 1, "{xml}");
    assert!(
        xml.contains(r#"<testsuite name="catalog lint" tests="1" failures="1""#),
        "{xml}"
    );
    assert!(xml.contains("security-definer-executable"), "{xml}");
    assert!(
        xml.contains("<system-out>"),
        "the warnings are shown: {xml}"
    );

    // A failed cell: as many failures as failed cells.
    let regression =
        std::fs::read_to_string(repo().join("regressions/01_drop_messages_select.sql")).unwrap();
    let dir = demo_copy(&[("99999999999999_regression.sql", &regression)]);
    let o = rlsgate(dir.path(), &["test", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let failing = v["summary"]["failed"].as_u64().unwrap()
        + v["summary"]["inconclusive"].as_u64().unwrap()
        + v["summary"]["unspecified"].as_u64().unwrap();
    assert!(failing >= 1);
    let o = rlsgate(dir.path(), &["test", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(junit_failures(&stdout(&o)), failing);

    // Clean: exit 0, nothing failed.
    let o = rlsgate(&repo(), &["test", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(junit_failures(&stdout(&o)), 0);
}

/// Lines wider than `width` characters, but for a single unbreakable word (a URL).
fn too_wide(text: &str, width: usize) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > width && l.split_whitespace().count() > 1)
        .map(String::from)
        .collect()
}

fn at_80_columns(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rlsgate"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env_remove("RLSGATE_DB_URL")
        .output()
        .expect("run rlsgate")
}

#[test]
fn rule_and_test_fit_80_columns() {
    let o = at_80_columns(&repo(), &["rule"]);
    assert_eq!(too_wide(&stdout(&o), 80), Vec::<String>::new());
    for line in stdout(&o).lines() {
        let Some(id) = line.split_whitespace().next().filter(|w| w.contains('-')) else {
            continue;
        };
        if line.starts_with(' ') {
            continue;
        }
        let o = at_80_columns(&repo(), &["rule", id]);
        assert_eq!(o.status.code(), Some(0), "rule {id}");
        assert_eq!(too_wide(&stdout(&o), 80), Vec::<String>::new(), "rule {id}");
    }
    let o = at_80_columns(&repo().join("examples/agent-creator"), &["test"]);
    let out = stdout(&o);
    assert!(out.contains("catalog lint: 1 error(s)"), "{out}");
    assert_eq!(too_wide(&out, 80), Vec::<String>::new());
    // Without COLUMNS and not on a terminal: 100 columns at most.
    let o = rlsgate(&repo().join("examples/agent-creator"), &["test"]);
    assert_eq!(too_wide(&stdout(&o), 100), Vec::<String>::new());
}

#[test]
fn mutate_fits_80_columns() {
    let o = at_80_columns(&repo(), &["mutate", "--table", "api_keys"]);
    let out = stdout(&o);
    assert!(out.contains("mutants,"), "{out}{}", stderr(&o));
    assert_eq!(too_wide(&out, 80), Vec::<String>::new());
}

#[test]
fn help_shows_examples_formats_and_fail_on_values() {
    let o = rlsgate(&repo(), &["--help"]);
    assert!(
        stdout(&o).contains("Examples:\n  rlsgate init"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains(env!("CARGO_PKG_REPOSITORY")));
    let o = rlsgate(&repo(), &["lint", "--help"]);
    let help = stdout(&o);
    for needle in [
        "sarif:  SARIF 2.1.0 for GitHub code scanning",
        "never:   Never: report only",
        "rlsgate lint --baseline",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
    let o = rlsgate(&repo(), &["test", "--help"]);
    assert!(stdout(&o).contains("junit:    JUnit XML"), "{}", stdout(&o));
    let o = rlsgate(&repo(), &["lint", "--fail-on", "warn", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "`warn` is an alias: {}",
        stderr(&o)
    );
}

#[test]
fn completions_and_man_pages() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = rlsgate(&repo(), &["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let script = stdout(&o);
        assert!(
            script.contains("rlsgate") && script.contains("snapshot"),
            "{shell}"
        );
    }
    let o = rlsgate(&repo(), &["completions", "bash"]);
    assert!(stdout(&o).contains("--fail-on"));
    let o = rlsgate(&repo(), &["man"]);
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH rlsgate 1"),
        "{page}"
    );
    assert!(page.contains(".TH rlsgate 1"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let o = rlsgate(&repo(), &["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for page in [
        "rlsgate.1",
        "rlsgate-test.1",
        "rlsgate-lint.1",
        "rlsgate-cache-clear.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_default();
        assert!(text.contains(".TH"), "{page}: {text}");
    }
    let test_page = std::fs::read_to_string(dir.path().join("rlsgate-test.1")).unwrap();
    assert!(test_page.contains("partition"), "{test_page}");
}

#[test]
fn init_writes_specs_config_and_a_workflow_then_test_passes() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("migrations"), &dir.path().join("migrations"));
    copy_dir(&repo().join("fixtures"), &dir.path().join("fixtures"));
    let o = rlsgate(dir.path(), &["init"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("wrote policy_specs/access.toml") || out.contains("access.toml"),
        "{out}"
    );
    assert!(out.contains("uses: rlsgate/rlsgate@v0"), "{out}");
    let config = std::fs::read_to_string(dir.path().join("rlsgate.toml")).unwrap();
    for key in ["exposed_schemas", "disable", "[lint.severity]"] {
        assert!(config.contains(key), "{key}: {config}");
    }
    let specs = std::fs::read_to_string(dir.path().join("policy_specs/access.toml")).unwrap();
    assert!(specs.contains("[tables.conversations]"), "{specs}");

    let o = rlsgate(dir.path(), &["test"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = rlsgate(dir.path(), &["lint"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "rlsgate.toml parses: {}",
        stderr(&o)
    );

    let o = rlsgate(dir.path(), &["init"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`rlsgate snapshot` updates them"),
        "{}",
        stderr(&o)
    );
}
