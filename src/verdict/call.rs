//! Observed vs expected reach of function calls: each function x identity that may call it
//! becomes a CALL [`Cell`]. No bypass passes; a bypass passes only where a spec line's `reads`
//! or `writes` admits every row reached, fails where it does not, and is unspecified (then
//! judged by the presumption) where no line says.

use std::collections::BTreeSet;

use super::cell::{Cell, CellOutcome};
use super::reach::{Allowance, Reach};
use super::relation::admits;
use super::subject::{Action, Subject};
use crate::matrix::{Outcome, Probe, RowFacts, TableRows};
use crate::probe::calls::{Bypass, CallObservation, RowRef};
use crate::probe::functions::FunctionAccess;
use crate::spec::{Identity, Specs};

pub fn judge_calls(
    calls: &[CallObservation],
    functions: &[FunctionAccess],
    specs: &Specs,
    identities: &[Identity],
    rows: &[TableRows],
) -> Vec<Cell> {
    let mut cells = Vec::new();
    for obs in calls {
        let Some(identity) = identities.iter().find(|i| i.name == obs.identity) else {
            continue;
        };
        let expected = functions
            .iter()
            .find(|f| f.function == obs.function)
            .and_then(|f| specs.functions().call_expectation(f));
        let reached: BTreeSet<String> = obs
            .bypasses
            .iter()
            .flat_map(|b| b.reads.iter().chain(b.writes.iter().map(|(_, r)| r)))
            .map(RowRef::to_string)
            .collect();
        let probes = obs
            .calls
            .iter()
            .map(|c| Probe {
                target: c.argument.clone(),
                outcome: match c.outcome.split_once(": ") {
                    _ if c.inconclusive => Outcome::Inconclusive {
                        sqlstate: "call".into(),
                        message: c.outcome.clone(),
                    },
                    Some(("refused", message)) => Outcome::DeniedPrivilege {
                        message: message.to_string(),
                    },
                    _ => Outcome::Allowed {
                        rows: obs
                            .bypasses
                            .iter()
                            .filter(|b| b.argument == c.argument)
                            .map(|b| (b.reads.len() + b.writes.len()) as u64)
                            .sum(),
                    },
                },
            })
            .collect();
        let mut cell = Cell {
            subject: Subject::function(obs.function.clone(), obs.security_definer),
            identity: obs.identity.clone(),
            action: Action::Call,
            expected: expected
                .as_ref()
                .map_or(Reach::Unspecified, |e| Reach::Through {
                    reads: e.reads.clone(),
                    writes: e.writes.clone(),
                }),
            actual: Reach::Bypass(!obs.bypasses.is_empty()),
            reached: Some(reached),
            allowed: None,
            outcome: CellOutcome::Pass,
            detail: String::new(),
            probes,
            suspicion: None,
            shapes: Vec::new(),
        };
        if let Some(call) = obs.inconclusive().filter(|_| obs.bypasses.is_empty()) {
            cell.actual = Reach::Inconclusive;
            cell.reached = None;
            cell.outcome = CellOutcome::Inconclusive;
            cell.detail = format!(
                "no call of {} as {} said anything: {} ({})",
                obs.function.display_name(),
                obs.identity,
                call.outcome.trim_start_matches("inconclusive: "),
                call.argument
            );
        } else if !obs.bypasses.is_empty() {
            let beyond: Vec<String> = match &expected {
                None => Vec::new(),
                Some(e) => obs
                    .bypasses
                    .iter()
                    .flat_map(|b| {
                        let reads = b
                            .reads
                            .iter()
                            .filter(|r| !allowed(&e.reads, r, rows, identity));
                        let writes = b
                            .writes
                            .iter()
                            .map(|(_, r)| r)
                            .filter(|r| !allowed(&e.writes, r, rows, identity));
                        reads.chain(writes).map(RowRef::to_string)
                    })
                    .collect(),
            };
            let text = describe(obs);
            match &expected {
                None => {
                    cell.outcome = CellOutcome::Unspecified;
                    cell.detail = format!(
                        "no spec; {text}: declare what its calls may reach on its [functions] line (`reads = \"tenant\"`, `writes = \"own\"`, or \"bypass\"), or add the caller check"
                    );
                }
                Some(_) if beyond.is_empty() => {}
                Some(e) => {
                    cell.outcome = CellOutcome::Fail;
                    cell.detail = format!(
                        "{text}; beyond what {} allows (reads {}, writes {}): {}",
                        e.source,
                        e.reads,
                        e.writes,
                        beyond.join(", ")
                    );
                }
            }
        }
        cells.push(cell);
    }
    cells
}

/// `bob calls stats(uuid) with org_id = org1 (another tenant's row of orgs) and reads
/// projects:org1-a, ...`.
pub fn describe(obs: &CallObservation) -> String {
    let parts: Vec<String> = obs.bypasses.iter().map(bypass_text).collect();
    format!(
        "{} calls {} past the tables' RLS: {}",
        obs.identity,
        obs.function.display_name(),
        parts.join("; ")
    )
}

fn bypass_text(b: &Bypass) -> String {
    let mut what = Vec::new();
    if !b.reads.is_empty() {
        let rows: Vec<String> = b.reads.iter().map(RowRef::to_string).collect();
        what.push(format!("reads {}", rows.join(", ")));
    }
    for kind in [
        crate::probe::calls::WriteKind::Insert,
        crate::probe::calls::WriteKind::Update,
        crate::probe::calls::WriteKind::Delete,
    ] {
        let rows: Vec<String> = b
            .writes
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, r)| r.to_string())
            .collect();
        if !rows.is_empty() {
            what.push(format!("{} {}", kind.verb(), rows.join(", ")));
        }
    }
    format!("with {} it {}", b.argument, what.join(" and "))
}

fn allowed(allowance: &Allowance, row: &RowRef, rows: &[TableRows], identity: &Identity) -> bool {
    match allowance {
        Allowance::Within => false,
        Allowance::Bypass => true,
        Allowance::Scope(scope) => match rows.iter().find(|r| r.table == row.table) {
            Some(table) => table
                .labels
                .get(&row.label)
                .is_some_and(|facts| admits(scope, &row.label, facts, &table.parties, identity)),
            // auth.users: a user's own row only
            None => admits(
                scope,
                &row.label,
                &RowFacts::owned_by(Some(row.label.clone())),
                &[],
                identity,
            ),
        },
    }
}
