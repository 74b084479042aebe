//! `rlsgate snapshot`: specs written from reality, comments and hand edits kept, and a
//! check that is clean exactly when the specs describe the database.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rlsgate::matrix::{Command, Observation, Outcome, Probe, TableRef, TableRows};
use rlsgate::spec::snapshot::{judge_all, plan, render_specs, write_check, Reality};
use rlsgate::spec::source::SourceFile;
use rlsgate::spec::{default_identities, Identity, Specs};
use rlsgate::verdict::CellOutcome;

fn rows(name: &str, owned: bool) -> TableRows {
    let mut labels = BTreeMap::from([("public".to_string(), None)]);
    if owned {
        labels.insert("alice".into(), Some("alice".into()));
        labels.insert("bob".into(), Some("bob".into()));
    }
    TableRows::single_owner(TableRef::new("public", name), owned, labels)
}

/// A database: `documents` (owner-only, anon none, admin reads all, alice can transfer),
/// `countries` (everyone reads, only service writes).
fn database(identities: &[Identity]) -> (Vec<Observation>, Vec<TableRows>) {
    let tables = vec![rows("documents", true), rows("countries", false)];
    let mut observations = Vec::new();
    for t in &tables {
        for identity in identities {
            for command in Command::ALL {
                let all: BTreeSet<String> = t.labels.keys().cloned().collect();
                let own = t.owned_by(&identity.name);
                let who = identity.name.as_str();
                let mut obs = Observation {
                    table: t.table.clone(),
                    identity: who.into(),
                    command,
                    reached: BTreeSet::new(),
                    inserted: BTreeSet::new(),
                    transfer: false,
                    probes: vec![Probe {
                        target: "own".into(),
                        outcome: Outcome::Filtered,
                    }],
                    shapes: Vec::new(),
                };
                if command == Command::Insert && t.owned {
                    obs.probes.push(Probe {
                        target: "other".into(),
                        outcome: Outcome::Filtered,
                    });
                }
                if command == Command::Update && t.owned && !own.is_empty() {
                    obs.probes.push(Probe {
                        target: "transfer".into(),
                        outcome: Outcome::Filtered,
                    });
                }
                match (t.table.name.as_str(), who, command) {
                    (_, "service", Command::Insert) => {
                        obs.inserted = ["own".to_string(), "other".to_string()].into()
                    }
                    (_, "service", _) => obs.reached = all.clone(),
                    ("countries", "anon", _) => {}
                    ("countries", _, Command::Select) => obs.reached = all.clone(),
                    ("countries", _, _) => {}
                    ("documents", "anon", _) => {}
                    ("documents", "admin", Command::Select) => obs.reached = all.clone(),
                    ("documents", _, Command::Insert) => obs.inserted = ["own".to_string()].into(),
                    ("documents", _, _) => obs.reached = own.clone(),
                    _ => unreachable!(),
                }
                if t.table.name == "documents" && who == "alice" && command == Command::Update {
                    obs.transfer = true;
                }
                observations.push(obs);
            }
        }
    }
    (observations, tables)
}

fn reality_check(text: &str, reality: &Reality) {
    let specs = Specs::parse_str("access.toml", text).unwrap();
    let bad: Vec<String> = judge_all(&specs, reality)
        .into_iter()
        .filter(|c| c.outcome != CellOutcome::Pass)
        .map(|c| {
            format!(
                "{} {} {}: {} vs {}",
                c.subject, c.identity, c.action, c.expected, c.actual
            )
        })
        .collect();
    assert!(bad.is_empty(), "{bad:#?}\n{text}");
}

#[test]
fn from_nothing() {
    let identities = default_identities();
    let (observations, rows) = database(&identities);
    let reality = Reality {
        observations: &observations,
        rows: &rows,
        identities: &identities,
        functions: &[],
    };
    let text = render_specs(None, &reality).unwrap();
    reality_check(&text, &reality);
    insta::assert_snapshot!(text);
}

const HAND_WRITTEN: &str = r#"# Our access rules. Reviewed by security, 2026-10.

[defaults]
service = "all"   # server code
anon = "none"

# Documents are private.
[tables.documents]
authenticated = "own"  # every user sees only their documents
admin = { select = "own", insert = "own", update = "own", delete = "own" }  # admins are users too

[tables.countries.alice]
select = "all"
"#;

#[test]
fn keeps_comments_and_hand_edits() {
    let identities = default_identities();
    let (observations, rows) = database(&identities);
    let reality = Reality {
        observations: &observations,
        rows: &rows,
        identities: &identities,
        functions: &[],
    };
    let text = render_specs(Some(HAND_WRITTEN), &reality).unwrap();
    reality_check(&text, &reality);
    for line in HAND_WRITTEN.lines().filter(|l| l.contains('#')) {
        let kept = line.split('#').nth(1).unwrap();
        assert!(text.contains(kept), "lost comment {kept:?}:\n{text}");
    }
    insta::assert_snapshot!(text);
    assert_eq!(
        render_specs(Some(&text), &reality).unwrap(),
        text,
        "a second snapshot changes nothing"
    );
}

#[test]
fn check_lists_the_differences() {
    let identities = default_identities();
    let (observations, rows) = database(&identities);
    let reality = Reality {
        observations: &observations,
        rows: &rows,
        identities: &identities,
        functions: &[],
    };
    let files = vec![SourceFile::new("policy_specs/app.toml", HAND_WRITTEN)];
    let before = plan(files, Path::new("policy_specs/app.toml"), &reality).unwrap();
    assert!(!before.is_clean());
    let mut out = Vec::new();
    write_check(&before, &mut out).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());

    let (path, text) = before.writes[0].clone();
    assert_eq!(path, Path::new("policy_specs/app.toml"));
    let after = plan(vec![SourceFile::new(&path, text)], &path, &reality).unwrap();
    assert!(after.is_clean());
    assert!(after.writes.is_empty());
}

#[test]
fn edits_the_file_that_declares_the_table() {
    let identities = default_identities();
    let (observations, rows) = database(&identities);
    let reality = Reality {
        observations: &observations,
        rows: &rows,
        identities: &identities,
        functions: &[],
    };
    let files = vec![
        SourceFile::new(
            "policy_specs/base.toml",
            "[defaults]\nservice = \"all\"\nanon = \"none\"\n",
        ),
        SourceFile::new(
            "policy_specs/docs.toml",
            "# docs\n[tables.documents]\nauthenticated = \"own\"\n",
        ),
    ];
    let target = Path::new("policy_specs/access.toml");
    let result = plan(files, target, &reality).unwrap();
    let written: Vec<&Path> = result.writes.iter().map(|(p, _)| p.as_path()).collect();
    assert_eq!(written, [Path::new("policy_specs/docs.toml"), target]);
    assert!(result.writes[0]
        .1
        .starts_with("# docs\n[tables.documents]\nauthenticated = \"own\"\n"));
    assert!(result.writes[1].1.contains("[tables.countries]"));
    assert!(!result.writes[1].1.contains("documents"));
}

#[test]
fn inconclusive_cells_are_left_alone() {
    let identities = default_identities();
    let (mut observations, rows) = database(&identities);
    for obs in observations
        .iter_mut()
        .filter(|o| o.identity == "bob" && o.command == Command::Insert)
    {
        obs.probes.push(Probe {
            target: "own".into(),
            outcome: Outcome::Inconclusive {
                sqlstate: "23505".into(),
                message: "duplicate key".into(),
            },
        });
    }
    let reality = Reality {
        observations: &observations,
        rows: &rows,
        identities: &identities,
        functions: &[],
    };
    let result = plan(vec![], Path::new("access.toml"), &reality).unwrap();
    assert_eq!(result.inconclusive.len(), 2);
    let text = &result.writes[0].1;
    let specs = Specs::parse_str("access.toml", text).unwrap();
    let bob = identities.iter().find(|i| i.name == "bob").unwrap();
    let exp = specs
        .expectation(&TableRef::new("public", "countries"), bob)
        .unwrap();
    assert_eq!(exp.insert, None, "{text}");
}

#[test]
fn a_group_line_changes_when_the_whole_group_moves() {
    let identities = default_identities();
    let (observations, rows) = database(&identities);
    let reality = Reality {
        observations: &observations,
        rows: &rows,
        identities: &identities,
        functions: &[],
    };
    let before = "[defaults]\nservice = \"all\"\nanon = \"none\"\n\n[tables.countries]\nauthenticated = \"none\" # read-only reference data\n";
    let text = render_specs(Some(before), &reality).unwrap();
    assert!(
        text.contains(
            "[tables.countries]\nauthenticated = { select = \"all\", insert = \"deny\", update = \"none\", delete = \"none\" } # read-only reference data\n"
        ),
        "{text}"
    );
    let countries = text
        .split("[tables.countries]")
        .nth(1)
        .unwrap()
        .split("[tables.")
        .next()
        .unwrap();
    assert_eq!(
        countries.lines().filter(|l| !l.is_empty()).count(),
        1,
        "{text}"
    );
    reality_check(&text, &reality);
}
