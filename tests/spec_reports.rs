//! Every report format, rendered from the same hand-built observations.

use std::collections::{BTreeMap, BTreeSet};

use rlsgate::matrix::{Command, Observation, Outcome, Probe, TableRef, TableRows};
use rlsgate::report::matrix::{self, json, junit, markdown, table, RunMeta};
use rlsgate::spec::{default_identities, Specs};
use rlsgate::verdict::{judge, Cell, CellOutcome, Summary};

const SPEC: &str = r#"
[defaults]
service = "all"
anon = "none"

[tables.documents]
authenticated = { select = ["alice", "bob", "public"], insert = "own", update = "own", delete = "own" }
alice = { select = ["alice", "public"] }
bob = { select = ["bob", "public"] }
admin = "all"

[tables.messages]
alice = "own"
bob = "own"
"#;

fn rows(name: &str) -> TableRows {
    TableRows::single_owner(
        TableRef::new("public", name),
        true,
        BTreeMap::from([
            ("alice".to_string(), Some("alice".to_string())),
            ("bob".to_string(), Some("bob".to_string())),
            ("public".to_string(), None),
        ]),
    )
}

fn allowed(target: &str) -> Probe {
    Probe {
        target: target.into(),
        outcome: Outcome::Allowed { rows: 1 },
    }
}

fn filtered(target: &str) -> Probe {
    Probe {
        target: target.into(),
        outcome: Outcome::Filtered,
    }
}

/// What a plausible, partly broken database does.
fn observe(table: &str, who: &str, command: Command) -> Observation {
    let all = ["alice", "bob", "public"];
    let own: &[&str] = match who {
        "alice" => &["alice"],
        "bob" => &["bob"],
        _ => &[],
    };
    let mut reached: BTreeSet<String> = match (who, command) {
        ("service" | "admin", _) => all.iter().map(|s| s.to_string()).collect(),
        ("anon", Command::Select) if table == "documents" => ["public".to_string()].into(),
        ("anon", _) => BTreeSet::new(),
        (_, Command::Select) if table == "documents" => own
            .iter()
            .chain(&["public"])
            .map(|s| s.to_string())
            .collect(),
        _ => own.iter().map(|s| s.to_string()).collect(),
    };
    if table == "messages" && who == "bob" && command == Command::Update {
        reached.insert("alice".into());
    }
    let mut probes: Vec<Probe> = all
        .iter()
        .map(|l| {
            if reached.contains(*l) {
                allowed(l)
            } else {
                filtered(l)
            }
        })
        .collect();
    let (mut insert_own, mut insert_other) = (false, false);
    let transfer = command == Command::Update && who == "bob" && table == "documents";
    if command == Command::Update && !own.is_empty() {
        probes.push(if transfer {
            allowed("transfer")
        } else {
            filtered("transfer")
        });
    }
    if command == Command::Insert {
        reached.clear();
        insert_own = who != "anon";
        insert_other = matches!(who, "service" | "admin");
        probes = vec![
            Probe {
                target: "own".into(),
                outcome: if insert_own {
                    Outcome::Allowed { rows: 1 }
                } else {
                    Outcome::DeniedPrivilege {
                        message: format!("permission denied for table {table}"),
                    }
                },
            },
            Probe {
                target: "other".into(),
                outcome: if insert_other {
                    Outcome::Allowed { rows: 1 }
                } else {
                    Outcome::DeniedRls {
                        message: format!(
                            "new row violates row-level security policy for table \"{table}\""
                        ),
                    }
                },
            },
        ];
        if table == "messages" && who == "alice" {
            probes[0].outcome = Outcome::Inconclusive {
                sqlstate: "23503".into(),
                message: "insert or update on table \"messages\" violates foreign key constraint \"messages_conversation_id_fkey\"".into(),
            };
        }
    }
    Observation {
        table: TableRef::new("public", table),
        identity: who.into(),
        command,
        reached,
        inserted: [("own", insert_own), ("other", insert_other)]
            .into_iter()
            .filter(|(_, accepted)| *accepted)
            .map(|(t, _)| t.to_string())
            .collect(),
        transfer,
        probes,
        shapes: Vec::new(),
    }
}

fn cells() -> Vec<Cell> {
    let specs = Specs::parse_str("policy_specs/app.toml", SPEC).unwrap();
    let identities = default_identities();
    let mut cells = Vec::new();
    for table in ["documents", "messages"] {
        let rows = rows(table);
        for identity in &identities {
            for command in Command::ALL {
                let obs = observe(table, &identity.name, command);
                let exp = specs.expectation(&obs.table, identity);
                cells.push(judge(&obs, exp.as_ref(), &rows, identity));
            }
        }
    }
    cells
}

fn meta() -> RunMeta {
    RunMeta {
        rlsgate: "0.1.0".into(),
        project: "examples/demo".into(),
        postgres: Some("15.8".into()),
        started_at: Some("2026-11-22T00:00:00Z".into()),
        duration_ms: Some(212),
        allow_unspecified: false,
        without_specs: false,
        lint: Vec::new(),
        partition: None,
        places: Default::default(),
        not_called: Vec::new(),
    }
}

fn render(
    write: fn(&[Cell], &Summary, &RunMeta, &mut dyn std::io::Write) -> std::io::Result<()>,
) -> String {
    let cells = cells();
    let summary = Summary::of(&cells);
    let mut out = Vec::new();
    write(&cells, &summary, &meta(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_fixture_covers_every_outcome() {
    let summary = Summary::of(&cells());
    assert_eq!(
        summary.to_string(),
        "40 cells, 32 passed, 3 failed, 4 unspecified, 1 inconclusive"
    );
}

#[test]
fn terminal_table() {
    let cells = cells();
    let summary = Summary::of(&cells);
    let mut out = Vec::new();
    table::write_styled(&cells, &summary, &meta(), &mut out, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains('\u{1b}'));
    for line in text.lines() {
        assert!(
            line.chars().count() <= 100,
            "wider than 100 columns: {line}"
        );
    }
    insta::assert_snapshot!(text);
}

#[test]
fn terminal_table_colour_only_when_asked() {
    let cells = cells();
    let summary = Summary::of(&cells);
    let mut out = Vec::new();
    table::write_styled(&cells, &summary, &meta(), &mut out, true).unwrap();
    assert!(String::from_utf8(out).unwrap().contains("\u{1b}["));
}

#[test]
fn long_labels_wrap_within_100_columns() {
    let identity = default_identities().remove(1);
    let rows = TableRows::single_owner(
        TableRef::new("private", "a_table_with_a_rather_long_name"),
        false,
        (0..12).map(|i| (format!("fixture_row_number_{i}"), None)),
    );
    let obs = Observation {
        table: rows.table.clone(),
        identity: identity.name.clone(),
        command: Command::Select,
        reached: rows.labels.keys().take(9).cloned().collect(),
        inserted: BTreeSet::new(),
        transfer: false,
        probes: vec![],
        shapes: Vec::new(),
    };
    let specs = Specs::parse_str(
        "s.toml",
        "[tables.\"private.a_table_with_a_rather_long_name\"]\nalice = \"none\"\n",
    )
    .unwrap();
    let cell = judge(
        &obs,
        specs.expectation(&obs.table, &identity).as_ref(),
        &rows,
        &identity,
    );
    assert_eq!(cell.outcome, CellOutcome::Fail);
    let mut out = Vec::new();
    table::write_styled(
        std::slice::from_ref(&cell),
        &Summary::of(std::slice::from_ref(&cell)),
        &meta(),
        &mut out,
        false,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    for line in text.lines() {
        assert!(
            line.chars().count() <= 100,
            "wider than 100 columns: {line}"
        );
    }
    assert!(
        text.contains("✗ none → {fixture_row_number_0, fixture_row_number_1,"),
        "{text}"
    );
    assert!(text.contains("fixture_row_number_10, +6}"), "{text}");
    assert!(text.contains("fixture_row_number_6}"), "{text}");
}

#[test]
fn json_contract() {
    let text = render(json::write);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["summary"]["failed"], 3);
    let failed: Vec<&serde_json::Value> = value["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .collect();
    assert_eq!(failed[0]["table"], "public.documents");
    insta::assert_snapshot!(text);
}

#[test]
fn json_reads_back() {
    let text = render(json::write);
    let report = matrix::read(&text).unwrap();
    assert_eq!(report.cells, cells());
    assert_eq!(report.summary, Summary::of(&cells()));
    assert_eq!(report.meta, meta());
    let newer = text.replacen("\"version\": 1", "\"version\": 2", 1);
    assert_eq!(
        matrix::read(&newer).unwrap_err().to_string(),
        "report version 2 is newer than this rlsgate understands (up to 1)"
    );
    assert!(matrix::read("{\"cells\": []}")
        .unwrap_err()
        .to_string()
        .starts_with("not an rlsgate JSON report"));
}

#[test]
fn junit() {
    let text = render(junit::write);
    assert!(text.contains(r#"<testsuites name="rlsgate access matrix" tests="40" failures="7" errors="1" skipped="0">"#));
    insta::assert_snapshot!(text);
}

#[test]
fn junit_skips_unspecified_when_allowed() {
    let cells = cells();
    let mut out = Vec::new();
    let meta = RunMeta {
        allow_unspecified: true,
        ..meta()
    };
    junit::write(&cells, &Summary::of(&cells), &meta, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(r#"failures="3" errors="1" skipped="4""#),
        "{text}"
    );
}

#[test]
fn markdown() {
    insta::assert_snapshot!(render(markdown::write));
}

#[test]
fn a_narrow_terminal_gets_a_narrow_table() {
    let cells = cells();
    let mut out = Vec::new();
    table::write_with(&cells, &Summary::of(&cells), &meta(), &mut out, false, 72).unwrap();
    let text = String::from_utf8(out).unwrap();
    for line in text.lines() {
        assert!(line.chars().count() <= 72, "wider than 72 columns: {line}");
    }
}
