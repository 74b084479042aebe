//! rlsgate's reports as code scanning and CI read them: every SARIF log it writes (`lint`,
//! `lint --db`, `test`, `merge`) is valid against the official SARIF 2.1.0 schema
//! (`tests/data/sarif-schema-2.1.0.json`, the OASIS errata01 schema as published in
//! oasis-tcs/sarif-spec) and locates every result in the repository; the results, the GitHub
//! annotations and the JUnit failures all count the exit code's reasons.

mod common;

use common::{copy_dir, repo, run_in as rlsgate, stderr, stdout};

use serde_json::Value;

/// A scratch directory with these files (path, content).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
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
    // A catalog lint error and no failed table or EXECUTE cell, but the exec_sql calls of the
    // four callers (anon, alice, bob, admin) that read auth.users through it, suspicious: exit
    // 1, and the report shows the lint failure and those four.
    let agent = repo().join("examples/agent-creator");
    let o = rlsgate(&agent, &["test", "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let xml = stdout(&o);
    assert_eq!(junit_failures(&xml), 1 + 4, "{xml}");
    assert!(
        xml.contains(r#"<testsuite name="function calls" tests="4" failures="4""#),
        "{xml}"
    );
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

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The result of `rule` for the cell `subject · identity · action`.
fn cell_result<'a>(
    log: &'a Value,
    rule: &str,
    subject: &str,
    identity: &str,
    action: &str,
) -> &'a Value {
    results(log)
        .iter()
        .find(|r| {
            r["ruleId"] == rule
                && r["properties"]["subject"] == subject
                && r["properties"]["identity"] == identity
                && r["properties"]["action"] == action
        })
        .unwrap_or_else(|| {
            let found: Vec<String> = results(log)
                .iter()
                .map(|r| format!("{} {}", r["ruleId"], r["message"]["text"]))
                .collect();
            panic!("no {rule} result for {subject} · {identity} · {action}: {found:#?}")
        })
}

/// `(uri, startLine)` of a location.
fn at(location: &Value) -> (String, u64) {
    let physical = &location["physicalLocation"];
    (
        physical["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string(),
        physical["region"]["startLine"].as_u64().unwrap(),
    )
}

fn related(result: &Value) -> Vec<(String, u64)> {
    result["relatedLocations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(at)
        .collect()
}

/// What makes a JSON report's run exit 1: failed, inconclusive, policy-error and suspicious cells,
/// (unless allowed) unspecified ones, and catalog lint errors.
fn reasons(report: &Value) -> u64 {
    let summary = &report["summary"];
    let count = |key: &str| summary[key].as_u64().unwrap_or(0);
    let unspecified = if report["meta"]["allow_unspecified"] == true {
        0
    } else {
        count("unspecified")
    };
    let lint_errors = report["meta"]["lint"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] == "error")
        .count() as u64;
    count("failed")
        + count("inconclusive")
        + count("policy_errors")
        + count("suspicious")
        + unspecified
        + lint_errors
}

/// Every result's rule, fingerprint and place.
fn identities(log: &Value) -> std::collections::BTreeSet<(String, String, (String, u64))> {
    results(log)
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"]["rlsgate/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                at(&r["locations"][0]),
            )
        })
        .collect()
}

#[test]
fn test_sarif_locates_each_failed_cell_at_its_spec_and_migration_lines() {
    let regression =
        |name: &str| std::fs::read_to_string(repo().join("regressions").join(name)).unwrap();
    let widened = regression("02_widen_documents_using.sql");
    let dir = demo_copy(&[
        (
            "99999999999991_narrowed.sql",
            &regression("01_drop_messages_select.sql"),
        ),
        ("99999999999992_widened.sql", &widened),
        (
            "99999999999993_function.sql",
            &regression("12_public_execute_restored.sql"),
        ),
    ]);
    let o = rlsgate(
        dir.path(),
        &[
            "test",
            "--format",
            "json",
            "--also",
            "sarif=rls.sarif",
            "--also",
            "github=annotations.txt",
            "--also",
            "junit=rls.xml",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let log = read_json(&dir.path().join("rls.sarif"));
    assert_eq!(sarif_problems(&log), Vec::<String>::new());

    // Each reason of the exit code is one error result, one error annotation, one JUnit failure.
    let reasons = reasons(&report);
    assert!(reasons >= 3, "{report}");
    let errors = results(&log)
        .iter()
        .filter(|r| r["level"] == "error")
        .count();
    assert_eq!(errors as u64, reasons);
    let annotations = std::fs::read_to_string(dir.path().join("annotations.txt")).unwrap();
    let error_lines: Vec<&str> = annotations
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(error_lines.len() as u64, reasons, "{annotations}");
    assert!(
        error_lines
            .iter()
            .all(|l| l.contains(" file=migrations/") || l.contains(" file=policy_specs/")),
        "{annotations}"
    );
    let junit = std::fs::read_to_string(dir.path().join("rls.xml")).unwrap();
    assert_eq!(junit_failures(&junit), reasons);
    assert!(
        junit.contains(
            r#"<testcase classname="public.documents" name="bob select" file="migrations/99999999999992_widened.sql" line="4">"#
        ),
        "the failing case carries its place: {junit}"
    );

    // Widened: at the policy that grants it; the spec line that declares less is related.
    let result = cell_result(&log, "access-widened", "public.documents", "bob", "select");
    assert_eq!(
        at(&result["locations"][0]),
        ("migrations/99999999999992_widened.sql".to_string(), 4)
    );
    assert!(
        related(result).contains(&("policy_specs/documents.toml".to_string(), 5)),
        "{result:#}"
    );
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"].as_u64().unwrap() as usize]
            ["properties"]["security-severity"],
        "9.0"
    );
    // Narrowed: at the spec line, with the statement that dropped the policy.
    let result = cell_result(
        &log,
        "access-narrowed",
        "public.messages",
        "alice",
        "select",
    );
    assert_eq!(
        at(&result["locations"][0]),
        ("policy_specs/chat.toml".to_string(), 21)
    );
    assert!(
        related(result).contains(&("migrations/99999999999991_narrowed.sql".to_string(), 3)),
        "{result:#}"
    );
    // A function cell: at the `create function`, with its spec line.
    let result = cell_result(
        &log,
        "access-widened",
        "public.my_conversation_count()",
        "anon",
        "execute",
    );
    assert_eq!(
        at(&result["locations"][0]),
        ("migrations/99999999999993_function.sql".to_string(), 5)
    );
    assert!(
        related(result).contains(&("policy_specs/functions.toml".to_string(), 10)),
        "{result:#}"
    );

    // Lines added above a finding move it, not its fingerprint.
    std::fs::write(
        dir.path().join("migrations/99999999999992_widened.sql"),
        format!("-- a comment\n-- and another\n{widened}"),
    )
    .unwrap();
    let o = rlsgate(dir.path(), &["test", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let moved: Value = serde_json::from_slice(&o.stdout).unwrap();
    let result = cell_result(
        &moved,
        "access-widened",
        "public.documents",
        "bob",
        "select",
    );
    assert_eq!(at(&result["locations"][0]).1, 6);
    let fingerprints = |log: &Value| {
        identities(log)
            .into_iter()
            .map(|(rule, fingerprint, _)| (rule, fingerprint))
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(fingerprints(&moved), fingerprints(&log));

    // The shares of a partitioned run merge into the same results, at the same places.
    for share in ["1/2", "2/2"] {
        let file = format!("share-{}.json", &share[..1]);
        let o = rlsgate(
            dir.path(),
            &[
                "test",
                "--partition",
                share,
                "--format",
                "json",
                "-o",
                &file,
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    }
    let o = rlsgate(
        dir.path(),
        &["merge", "share-1.json", "share-2.json", "--format", "sarif"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let merged: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sarif_problems(&merged), Vec::<String>::new());
    assert_eq!(identities(&merged), identities(&moved));
}

#[test]
fn test_sarif_locates_inconclusive_and_unspecified_cells() {
    let dir = project(&[
        (
            "migrations/001_notes.sql",
            "create table public.notes (id int primary key, owner uuid not null default auth.uid());\n\
             alter table public.notes enable row level security;\n\
             create policy \"boom\" on public.notes for select to authenticated\n  using (1 / (id - id) = 1);\n",
        ),
        (
            "policy_specs/notes.toml",
            "# The notes of a user.\n[tables.notes]\nauthenticated = { select = \"own\" }\n",
        ),
    ]);
    let o = rlsgate(
        dir.path(),
        &["test", "--format", "json", "--also", "sarif=rls.sarif"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let log = read_json(&dir.path().join("rls.sarif"));
    assert_eq!(sarif_problems(&log), Vec::<String>::new());
    let errors = results(&log)
        .iter()
        .filter(|r| r["level"] == "error")
        .count();
    assert_eq!(errors as u64, reasons(&report));

    // Inconclusive (division by zero in the policy): at the spec line, the table related.
    let result = cell_result(&log, "inconclusive", "public.notes", "alice", "select");
    assert_eq!(
        at(&result["locations"][0]),
        ("policy_specs/notes.toml".to_string(), 3)
    );
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .contains("division by zero"),
        "{result:#}"
    );
    assert!(related(result).contains(&("migrations/001_notes.sql".to_string(), 1)));
    // Unspecified: at the `create table`; the identity's spec entry related when it has one.
    let result = cell_result(&log, "unspecified", "public.notes", "anon", "select");
    assert_eq!(
        at(&result["locations"][0]),
        ("migrations/001_notes.sql".to_string(), 1)
    );
    let result = cell_result(&log, "unspecified", "public.notes", "alice", "update");
    assert!(related(result).contains(&("policy_specs/notes.toml".to_string(), 3)));
    // The catalog lint's warning is in the log too, located.
    assert!(
        results(&log)
            .iter()
            .any(|r| r["ruleId"] == "grant-truncate-to-api-role" && r["level"] == "warning"),
        "{log:#}"
    );

    // Under --allow-unspecified only the inconclusive cells are findings.
    let o = rlsgate(
        dir.path(),
        &["test", "--allow-unspecified", "--format", "sarif"],
    );
    assert_eq!(o.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(results(&log)
        .iter()
        .filter(|r| r["level"] == "error")
        .all(|r| r["ruleId"] == "inconclusive"));
}

#[test]
fn a_policy_error_is_shown_at_the_policy_that_reads_what_the_caller_may_not() {
    let dir = project(&[
        (
            "migrations/001_notes.sql",
            "create table public.secrets (id int);\n\
             revoke all on public.secrets from anon, authenticated;\n\
             create table public.notes (id int primary key, owner uuid not null default auth.uid());\n\
             alter table public.notes enable row level security;\n\
             create policy \"own notes\" on public.notes for all to authenticated using (owner = auth.uid());\n\
             create policy \"reads secrets\" on public.notes for select to authenticated\n  \
             using (exists (select 1 from public.secrets));\n",
        ),
        (
            "policy_specs/notes.toml",
            "[tables.notes]\nauthenticated = \"own\"\nanon = \"none\"\nservice = \"all\"\n\n\
             [tables.secrets]\nauthenticated = \"none\"\nanon = \"none\"\nservice = \"all\"\n",
        ),
    ]);
    let o = rlsgate(
        dir.path(),
        &["test", "--format", "json", "--also", "sarif=rls.sarif"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let log = read_json(&dir.path().join("rls.sarif"));
    assert_eq!(sarif_problems(&log), Vec::<String>::new());
    let errors = results(&log)
        .iter()
        .filter(|r| r["level"] == "error")
        .count();
    assert_eq!(errors as u64, reasons(&report));
    let result = cell_result(&log, "policy-error", "public.notes", "alice", "select");
    assert_eq!(
        at(&result["locations"][0]),
        ("migrations/001_notes.sql".to_string(), 6),
        "the policy that reads public.secrets: {result:#}"
    );
    let places = related(result);
    assert!(
        places.contains(&("migrations/001_notes.sql".to_string(), 5)),
        "{places:?}"
    );
    assert!(
        places.contains(&("policy_specs/notes.toml".to_string(), 2)),
        "{places:?}"
    );
}

#[test]
fn without_specs_suspicious_cells_are_shown_at_the_policy_that_opens_them() {
    let dir = project(&[(
        "migrations/001_notes.sql",
        "create table public.notes (id int primary key,\n  \
         owner uuid not null default auth.uid() references auth.users (id), body text);\n\
         alter table public.notes enable row level security;\n\
         create policy \"anyone reads\" on public.notes for select using (true);\n",
    )]);
    let o = rlsgate(
        dir.path(),
        &["test", "--format", "json", "--also", "sarif=rls.sarif"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let log = read_json(&dir.path().join("rls.sarif"));
    assert_eq!(sarif_problems(&log), Vec::<String>::new());
    let errors = results(&log)
        .iter()
        .filter(|r| r["level"] == "error")
        .count();
    assert!(errors > 0);
    assert_eq!(errors as u64, reasons(&report));
    let result = cell_result(&log, "suspicious", "public.notes", "anon", "select");
    assert_eq!(
        at(&result["locations"][0]),
        ("migrations/001_notes.sql".to_string(), 4)
    );
    assert!(related(result).contains(&("migrations/001_notes.sql".to_string(), 1)));
    // Merely unspecified cells do not fail a run without specs: no result for them.
    assert!(results(&log).iter().all(|r| r["ruleId"] != "unspecified"));
}

#[test]
fn also_writes_every_report_of_one_run() {
    let dir = project(&[("migrations/001.sql", "create table public.open (id int);\n")]);
    let o = rlsgate(
        dir.path(),
        &[
            "lint",
            "--also",
            "sarif=lint.sarif",
            "--also",
            "json=lint.json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("rls-disabled"), "{}", stdout(&o));
    let log = read_json(&dir.path().join("lint.sarif"));
    assert_eq!(sarif_problems(&log), Vec::<String>::new());
    assert!(results(&log).iter().any(|r| r["ruleId"] == "rls-disabled"));
    let json = read_json(&dir.path().join("lint.json"));
    assert!(json["diagnostics"]
        .as_array()
        .is_some_and(|d| !d.is_empty()));

    let o = rlsgate(dir.path(), &["lint", "--also", "sarif"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not FORMAT=FILE"), "{}", stderr(&o));
    let o = rlsgate(
        dir.path(),
        &[
            "test",
            "-o",
            "r.json",
            "--format",
            "json",
            "--also",
            "sarif=./r.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("named twice"), "{}", stderr(&o));
}
