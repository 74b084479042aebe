//! The verdict: observed access against declared specs, one cell at a time.

use std::collections::{BTreeMap, BTreeSet};

use rlsgate::matrix::{Command, Observation, Outcome, Probe, TableRef, TableRows};
use rlsgate::spec::{default_identities, Identity, Specs};
use rlsgate::verdict::{judge, status, Cell, CellOutcome, Summary};
use rlsgate::Status;

fn documents() -> TableRows {
    TableRows::single_owner(
        TableRef::new("public", "documents"),
        true,
        BTreeMap::from([
            ("alice".to_string(), Some("alice".to_string())),
            ("bob".to_string(), Some("bob".to_string())),
            ("public".to_string(), None),
            ("shared_doc".to_string(), Some("bob".to_string())),
        ]),
    )
}

fn countries() -> TableRows {
    TableRows::single_owner(
        TableRef::new("public", "countries"),
        false,
        BTreeMap::from([("public".to_string(), None)]),
    )
}

fn inserted(own: bool, other: bool) -> BTreeSet<String> {
    [("own", own), ("other", other)]
        .into_iter()
        .filter(|(_, accepted)| *accepted)
        .map(|(t, _)| t.to_string())
        .collect()
}

fn identity(name: &str) -> Identity {
    default_identities()
        .into_iter()
        .find(|i| i.name == name)
        .unwrap()
}

fn labels(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn observe(rows: &TableRows, who: &str, command: Command, reached: &[&str]) -> Observation {
    Observation {
        table: rows.table.clone(),
        identity: who.to_string(),
        command,
        reached: labels(reached),
        inserted: BTreeSet::new(),
        transfer: false,
        probes: reached
            .iter()
            .map(|l| Probe {
                target: l.to_string(),
                outcome: Outcome::Allowed { rows: 1 },
            })
            .collect(),
        shapes: Vec::new(),
    }
}

fn insert(rows: &TableRows, who: &str, own: bool, other: bool) -> Observation {
    let outcome = |ok: bool| {
        if ok {
            Outcome::Allowed { rows: 1 }
        } else {
            Outcome::DeniedRls {
                message: "new row violates row-level security policy for table \"documents\""
                    .into(),
            }
        }
    };
    if !rows.owned {
        // a table nobody owns gets one probe: any row
        return Observation {
            inserted: if own || other {
                ["any".to_string()].into()
            } else {
                BTreeSet::new()
            },
            probes: vec![Probe {
                target: "any".into(),
                outcome: outcome(own || other),
            }],
            ..observe(rows, who, Command::Insert, &[])
        };
    }
    Observation {
        inserted: inserted(own, other),
        probes: vec![
            Probe {
                target: "own".into(),
                outcome: outcome(own),
            },
            Probe {
                target: "other".into(),
                outcome: outcome(other),
            },
        ],
        ..observe(rows, who, Command::Insert, &[])
    }
}

fn cell(spec: &str, obs: &Observation, rows: &TableRows) -> Cell {
    let specs = Specs::parse_str("policy_specs/app.toml", spec).expect("spec parses");
    let who = identity(&obs.identity);
    let exp = specs.expectation(&obs.table, &who);
    judge(obs, exp.as_ref(), rows, &who)
}

const OWN: &str = "[tables.documents]\nauthenticated = \"own\"\nadmin = \"all\"\n";

#[test]
fn own_rows_only_passes() {
    let c = cell(
        OWN,
        &observe(&documents(), "alice", Command::Select, &["alice"]),
        &documents(),
    );
    assert_eq!(
        (
            c.outcome,
            c.expected.to_string().as_str(),
            c.actual.to_string().as_str()
        ),
        (CellOutcome::Pass, "own", "own")
    );
    assert_eq!(c.detail, "");
}

#[test]
fn seeing_another_users_rows_fails_and_names_them() {
    let rows = documents();
    let c = cell(
        OWN,
        &observe(&rows, "alice", Command::Select, &["alice", "bob", "public"]),
        &rows,
    );
    assert_eq!(c.outcome, CellOutcome::Fail);
    assert_eq!(c.expected.to_string(), "own");
    assert_eq!(c.actual.to_string(), "{alice, bob, public}");
    assert_eq!(c.detail, "sees rows bob, public it should not");
}

#[test]
fn missing_own_rows_fail_as_over_restriction() {
    let rows = documents();
    let mut obs = observe(&rows, "bob", Command::Delete, &["bob"]);
    obs.probes.push(Probe {
        target: "shared_doc".into(),
        outcome: Outcome::DeniedPrivilege {
            message: "permission denied for table documents".into(),
        },
    });
    let c = cell(OWN, &obs, &rows);
    assert_eq!(c.outcome, CellOutcome::Fail);
    assert_eq!(c.actual.to_string(), "{bob}");
    assert_eq!(
        c.detail,
        "could not delete row shared_doc (denied by privilege: permission denied for table documents)"
    );
}

#[test]
fn reaching_everything_is_all() {
    let rows = documents();
    let c = cell(
        OWN,
        &observe(
            &rows,
            "admin",
            Command::Update,
            &["alice", "bob", "public", "shared_doc"],
        ),
        &rows,
    );
    assert_eq!(
        (c.outcome, c.actual.to_string().as_str()),
        (CellOutcome::Pass, "all")
    );
    let c = cell(
        OWN,
        &observe(&rows, "admin", Command::Update, &["alice", "bob"]),
        &rows,
    );
    assert_eq!(c.outcome, CellOutcome::Fail);
    assert_eq!(c.detail, "could not update rows public, shared_doc");
}

#[test]
fn own_for_an_identity_without_rows_means_nothing_visible() {
    let rows = documents();
    let spec = "[tables.documents]\nadmin = \"own\"\n";
    let c = cell(spec, &observe(&rows, "admin", Command::Select, &[]), &rows);
    assert_eq!(
        (c.outcome, c.actual.to_string().as_str()),
        (CellOutcome::Pass, "own")
    );
    let c = cell(
        spec,
        &observe(&rows, "admin", Command::Select, &["public"]),
        &rows,
    );
    assert_eq!(c.outcome, CellOutcome::Fail);
    assert_eq!(c.actual.to_string(), "{public}");
    assert_eq!(c.detail, "sees row public it should not");
}

#[test]
fn all_for_an_identity_without_rows_needs_every_row() {
    let rows = documents();
    let spec = "[tables.documents]\nadmin = \"all\"\n";
    let c = cell(spec, &observe(&rows, "admin", Command::Select, &[]), &rows);
    assert_eq!(
        (c.outcome, c.actual.to_string().as_str()),
        (CellOutcome::Fail, "none")
    );
    assert_eq!(c.detail, "does not see rows alice, bob, public, shared_doc");
}

#[test]
fn explicit_labels_compare_exactly() {
    let rows = documents();
    let spec = "[tables.documents.alice]\nselect = [\"alice\", \"public\", \"shared_doc\"]\n";
    let c = cell(
        spec,
        &observe(
            &rows,
            "alice",
            Command::Select,
            &["alice", "public", "shared_doc"],
        ),
        &rows,
    );
    assert_eq!(
        (c.outcome, c.expected.to_string().as_str()),
        (CellOutcome::Pass, "{alice, public, shared_doc}")
    );
    let c = cell(
        spec,
        &observe(&rows, "alice", Command::Select, &["alice", "public"]),
        &rows,
    );
    assert_eq!(c.outcome, CellOutcome::Fail);
    assert_eq!(c.detail, "does not see row shared_doc");
}

#[test]
fn no_spec_is_unspecified_with_a_hint() {
    let rows = documents();
    let c = cell(
        "",
        &observe(&rows, "anon", Command::Select, &["public"]),
        &rows,
    );
    assert_eq!(c.outcome, CellOutcome::Unspecified);
    assert_eq!(c.expected.to_string(), "unspecified");
    assert_eq!(c.actual.to_string(), "{public}");
    assert_eq!(
        c.detail,
        "no spec; the database allows [\"public\"]: add `anon = { select = [\"public\"] }` under [tables.documents]"
    );
    let c = cell(
        "[tables.documents]\nanon = { select = \"none\" }\n",
        &insert(&rows, "anon", false, false),
        &rows,
    );
    assert_eq!(
        (c.outcome, c.actual.to_string().as_str()),
        (CellOutcome::Unspecified, "deny")
    );
}

fn inconclusive(mut obs: Observation) -> Observation {
    obs.probes.push(Probe {
        target: "own".into(),
        outcome: Outcome::Inconclusive {
            sqlstate: "23502".into(),
            message: "null value in column \"title\" violates not-null constraint".into(),
        },
    });
    obs
}

#[test]
fn an_inconclusive_probe_never_passes() {
    let rows = documents();
    for spec in ["none", "own", "all"] {
        let spec = format!("[tables.documents]\nalice = \"{spec}\"\n");
        for command in Command::ALL {
            for reached in [
                &[][..],
                &["alice"][..],
                &["alice", "bob", "public", "shared_doc"][..],
            ] {
                let mut obs = observe(&rows, "alice", command, reached);
                obs.inserted = inserted(!reached.is_empty(), false);
                let c = cell(&spec, &inconclusive(obs), &rows);
                assert_eq!(
                    c.outcome,
                    CellOutcome::Inconclusive,
                    "{spec} {command} {reached:?}"
                );
                assert_eq!(c.actual.to_string(), "inconclusive");
                assert_eq!(
                    c.detail,
                    "probe `own` failed with 23502: null value in column \"title\" violates not-null constraint"
                );
            }
        }
    }
    let unspecified = cell(
        "",
        &inconclusive(observe(&rows, "alice", Command::Select, &["alice"])),
        &rows,
    );
    assert_eq!(
        unspecified.outcome,
        CellOutcome::Inconclusive,
        "even without a spec"
    );
    assert_eq!(unspecified.expected.to_string(), "unspecified");
    assert!(unspecified
        .detail
        .ends_with("; and no spec covers this cell"));
    assert_eq!(status(&Summary::of(&[unspecified]), true), Status::Findings);
    let summary = Summary::of(&[cell(
        OWN,
        &inconclusive(observe(&rows, "alice", Command::Select, &["alice"])),
        &rows,
    )]);
    assert_eq!(summary.inconclusive, 1);
    assert_eq!(status(&summary, true), Status::Findings);
}

#[test]
fn insert_own_other_any() {
    let rows = documents();
    let spec = "[tables.documents]\nalice = { insert = \"own\" }\nbob = { insert = \"deny\" }\nadmin = { insert = \"any\" }\n";
    let pass = |who, own, other| cell(spec, &insert(&rows, who, own, other), &rows);
    assert_eq!(pass("alice", true, false).outcome, CellOutcome::Pass);
    assert_eq!(pass("bob", false, false).outcome, CellOutcome::Pass);
    assert_eq!(pass("admin", true, true).outcome, CellOutcome::Pass);

    let c = pass("alice", true, true);
    assert_eq!(
        (c.outcome, c.actual.to_string().as_str()),
        (CellOutcome::Fail, "any")
    );
    assert_eq!(c.detail, "inserted a row owned by another user");
    let c = pass("alice", false, false);
    assert_eq!(
        (
            c.expected.to_string().as_str(),
            c.actual.to_string().as_str()
        ),
        ("own", "deny")
    );
    assert_eq!(
        c.detail,
        "could not insert a row owned by itself (denied by RLS: new row violates row-level security policy for table \"documents\")"
    );
    let c = pass("bob", false, true);
    assert_eq!(
        (c.outcome, c.actual.to_string().as_str()),
        (CellOutcome::Fail, "other")
    );
    assert_eq!(c.detail, "inserted a row owned by another user");
}

#[test]
fn insert_on_a_table_without_owner_is_any_or_deny() {
    let rows = countries();
    let any = "[tables.countries]\nalice = { insert = \"any\" }\n";
    let own = "[tables.countries]\nalice = { insert = \"own\" }\n";
    let c = cell(any, &insert(&rows, "alice", true, false), &rows);
    assert_eq!(
        (c.outcome, c.actual.to_string().as_str()),
        (CellOutcome::Pass, "any")
    );
    let c = cell(own, &insert(&rows, "alice", true, false), &rows);
    assert_eq!(c.outcome, CellOutcome::Fail);
    assert_eq!(
        c.detail,
        "inserted a row; `countries` has no owner column so `own` means no row can be inserted: write `any` if that is intended"
    );
    let c = cell(own, &insert(&rows, "alice", false, false), &rows);
    assert_eq!(
        (c.outcome, c.actual.to_string().as_str()),
        (CellOutcome::Pass, "deny")
    );
    let c = cell(any, &insert(&rows, "alice", false, false), &rows);
    assert_eq!(c.outcome, CellOutcome::Fail);
}

/// An UPDATE that also ran the transfer probe (the identity owns a row to hand over).
fn update(rows: &TableRows, who: &str, reached: &[&str], transfer: bool) -> Observation {
    let mut obs = observe(rows, who, Command::Update, reached);
    obs.probes.push(Probe {
        target: "transfer".into(),
        outcome: if transfer {
            Outcome::Allowed { rows: 1 }
        } else {
            Outcome::Filtered
        },
    });
    Observation { transfer, ..obs }
}

#[test]
fn transfer_defaults_to_no_for_own() {
    let rows = documents();
    let c = cell(OWN, &update(&rows, "alice", &["alice"], true), &rows);
    assert_eq!(c.outcome, CellOutcome::Fail);
    assert_eq!(
        (
            c.expected.to_string().as_str(),
            c.actual.to_string().as_str()
        ),
        ("own", "own+transfer")
    );
    assert_eq!(
        c.detail,
        "can hand an own row to another owner; the spec says it cannot (`transfer = false`)"
    );
    assert_eq!(
        cell(OWN, &update(&rows, "alice", &["alice"], false), &rows).outcome,
        CellOutcome::Pass
    );
}

#[test]
fn transfer_defaults_to_yes_for_all_and_can_be_declared() {
    let rows = documents();
    let every = ["alice", "bob", "public", "shared_doc"];
    let spec = "[tables.documents]\nbob = \"all\"\n";
    let c = cell(spec, &update(&rows, "bob", &every, false), &rows);
    assert_eq!(c.outcome, CellOutcome::Fail);
    assert_eq!(
        (
            c.expected.to_string().as_str(),
            c.actual.to_string().as_str()
        ),
        ("all+transfer", "all")
    );
    let spec = "[tables.documents]\nbob = { update = \"all\", transfer = false }\n";
    assert_eq!(
        cell(spec, &update(&rows, "bob", &every, false), &rows).outcome,
        CellOutcome::Pass
    );
    let spec = "[tables.documents]\nbob = { update = \"own\", transfer = true }\n";
    assert_eq!(
        cell(
            spec,
            &update(&rows, "bob", &["bob", "shared_doc"], true),
            &rows
        )
        .outcome,
        CellOutcome::Pass
    );
}

#[test]
fn transfer_is_not_judged_without_own_rows() {
    // admin owns no row of documents, so the engine runs no transfer probe for it
    let rows = documents();
    let c = cell(
        OWN,
        &observe(
            &rows,
            "admin",
            Command::Update,
            &["alice", "bob", "public", "shared_doc"],
        ),
        &rows,
    );
    assert_eq!(
        (
            c.outcome,
            c.expected.to_string().as_str(),
            c.actual.to_string().as_str()
        ),
        (CellOutcome::Pass, "all", "all")
    );
}

#[test]
fn status_follows_the_summary() {
    let s = |passed, failed, unspecified, inconclusive| Summary {
        cells: passed + failed + unspecified + inconclusive,
        passed,
        failed,
        unspecified,
        inconclusive,
        policy_errors: 0,
        suspicious: 0,
        functions: 0,
    };
    assert_eq!(status(&s(4, 0, 0, 0), false), Status::Clean);
    assert_eq!(status(&s(3, 1, 0, 0), true), Status::Findings);
    assert_eq!(status(&s(3, 0, 1, 0), false), Status::Findings);
    assert_eq!(status(&s(3, 0, 1, 0), true), Status::Clean);
    assert_eq!(status(&s(3, 0, 0, 1), true), Status::Findings);
    let suspicious = Summary {
        suspicious: 1,
        ..s(3, 0, 0, 0)
    };
    assert_eq!(
        status(&suspicious, true),
        Status::Findings,
        "a suspicious cell fails even where unspecified ones are allowed"
    );
}

#[test]
fn a_failure_says_how_each_row_was_stopped() {
    let rows = documents();
    let mut obs = observe(&rows, "bob", Command::Update, &[]);
    obs.probes = vec![
        Probe {
            target: "bob".into(),
            outcome: Outcome::Filtered,
        },
        Probe {
            target: "shared_doc".into(),
            outcome: Outcome::DeniedRls {
                message: "new row violates row-level security policy for table \"documents\""
                    .into(),
            },
        },
    ];
    let c = cell(OWN, &obs, &rows);
    assert_eq!(c.outcome, CellOutcome::Fail);
    assert_eq!(
        c.detail,
        "could not update row bob (hidden by RLS), row shared_doc (denied by RLS: new row violates row-level security policy for table \"documents\")"
    );
}

#[test]
fn anon_inserting_an_ownerless_row_is_its_own_insert() {
    let rows = documents();
    let spec = "[tables.documents]\nanon = { insert = \"own\" }\n";
    let nobody_only = insert(&rows, "anon", true, false);
    assert_eq!(cell(spec, &nobody_only, &rows).outcome, CellOutcome::Pass);
    let forged = insert(&rows, "anon", true, true);
    let c = cell(spec, &forged, &rows);
    assert_eq!(
        (c.outcome, c.actual.to_string().as_str()),
        (CellOutcome::Fail, "any")
    );
    let denied = insert(&rows, "anon", false, false);
    assert_eq!(cell(spec, &denied, &rows).outcome, CellOutcome::Fail);
}

#[test]
fn without_a_nullable_owner_a_rowless_insert_of_another_users_row_is_any() {
    let rows = documents();
    let mut obs = insert(&rows, "service", false, true);
    obs.probes.retain(|p| p.target != "own");
    let c = cell(
        "[tables.documents]\nservice = { insert = \"any\" }\n",
        &obs,
        &rows,
    );
    assert_eq!(c.outcome, CellOutcome::Pass, "{}", c.detail);
}
