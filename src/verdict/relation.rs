//! Observed vs expected for relations: each table x identity x command becomes a [`Cell`]
//! that passes, fails, is unspecified, or is inconclusive. An inconclusive probe never passes.

use std::collections::BTreeSet;

use super::cell::{Cell, CellOutcome};
use super::reach::Reach;
use super::subject::{Action, Subject};
use crate::matrix::{Command, InsertScope, Observation, Outcome, Probe, Scope, TableRows};
use crate::probe::cells::UNFILTERED;
use crate::spec::identities::Identity;
use crate::spec::specs::{table_key, Expectation};

/// What an observation amounts to in the spec vocabulary, for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// SELECT, UPDATE, DELETE: the rows reached, named as simply as possible; UPDATE also says
    /// whether an own row could be handed to another owner (when that was probed).
    Rows {
        scope: Scope,
        transfer: Option<bool>,
    },
    Insert(InsertScope),
    /// INSERT accepted a row owned by another identity but not an own row.
    InsertOtherOnly,
}

impl Observed {
    /// As a cell shows it: a transfer only when it was seen.
    pub fn reach(&self) -> Reach {
        match self {
            Observed::Rows { scope, transfer } => Reach::Rows {
                scope: scope.clone(),
                transfer: *transfer == Some(true),
            },
            Observed::Insert(scope) => Reach::Insert(*scope),
            Observed::InsertOtherOnly => Reach::InsertOther,
        }
    }
}

/// Can ownership be told apart for this identity on this table?
fn ownership_applies(rows: &TableRows, identity: &Identity) -> bool {
    rows.owned && identity.owns_rows()
}

/// The simplest scope naming exactly `reached`.
pub fn name_rows(reached: &BTreeSet<String>, rows: &TableRows, identity: &Identity) -> Scope {
    let own = rows.owned_by(&identity.name);
    if reached.is_empty() {
        Scope::None
    } else if *reached == rows.all_labels() {
        Scope::All
    } else if *reached == own {
        Scope::Own
    } else {
        Scope::Labels(reached.clone())
    }
}

fn transfer_probed(rows: &TableRows, identity: &Identity) -> bool {
    ownership_applies(rows, identity) && !rows.owned_by(&identity.name).is_empty()
}

/// The observation in the spec vocabulary (`rlsgate snapshot` writes this).
pub fn observed(obs: &Observation, rows: &TableRows, identity: &Identity) -> Observed {
    match obs.command {
        Command::Insert => {
            if !rows.owned {
                Observed::Insert(if obs.insert_own || obs.insert_other {
                    InsertScope::Any
                } else {
                    InsertScope::Deny
                })
            } else {
                // An identity without rows of its own (anon, the service role) inserts `own`
                // as a row owned by nobody; that probe exists only where the owner may be NULL.
                let own_probed = obs.probes.iter().any(|p| p.target == "own");
                match (obs.insert_own, obs.insert_other) {
                    (false, false) => Observed::Insert(InsertScope::Deny),
                    (true, false) => Observed::Insert(InsertScope::Own),
                    (true, true) => Observed::Insert(InsertScope::Any),
                    (false, true) if own_probed || identity.owns_rows() => {
                        Observed::InsertOtherOnly
                    }
                    (false, true) => Observed::Insert(InsertScope::Any),
                }
            }
        }
        command => Observed::Rows {
            scope: name_rows(&obs.reached, rows, identity),
            transfer: (command == Command::Update && transfer_probed(rows, identity))
                .then_some(obs.transfer),
        },
    }
}

/// The labels a scope stands for on this table, for this identity.
pub fn resolve(scope: &Scope, rows: &TableRows, identity: &Identity) -> BTreeSet<String> {
    match scope {
        Scope::None => BTreeSet::new(),
        Scope::Own => rows.owned_by(&identity.name),
        Scope::All => rows.all_labels(),
        Scope::Labels(labels) => labels
            .iter()
            .filter(|l| rows.labels.contains_key(*l))
            .cloned()
            .collect(),
    }
}

/// Judge one observation against what the specs declare.
pub fn judge(
    obs: &Observation,
    exp: Option<&Expectation>,
    rows: &TableRows,
    identity: &Identity,
) -> Cell {
    let seen = observed(obs, rows, identity);
    let inconclusive = obs.inconclusive();
    let rows_command = obs.command != Command::Insert;
    let mut cell = Cell {
        subject: Subject::Relation(obs.table.clone()),
        identity: obs.identity.clone(),
        action: Action::from(obs.command),
        expected: Reach::Unspecified,
        actual: if inconclusive.is_some() {
            Reach::Inconclusive
        } else {
            seen.reach()
        },
        reached: (rows_command && inconclusive.is_none()).then(|| obs.reached.clone()),
        allowed: None,
        outcome: CellOutcome::Unspecified,
        detail: String::new(),
        probes: obs.probes.clone(),
    };

    let declared = exp.and_then(|e| match obs.command {
        Command::Insert => e.insert.map(Declared::Insert),
        command => e.scope(command).map(|scope| Declared::Rows {
            transfer: e.expects_transfer(),
            scope,
        }),
    });
    if let Some(declared) = &declared {
        cell.expected = declared.reach(false);
        if let Declared::Rows { scope, .. } = declared {
            cell.allowed = Some(resolve(scope, rows, identity));
        }
    }
    if let Some(probe) = inconclusive {
        cell.outcome = CellOutcome::Inconclusive;
        cell.detail = inconclusive_text(probe);
        if declared.is_none() {
            cell.detail.push_str("; and no spec covers this cell");
        }
        return cell;
    }
    let Some(declared) = declared else {
        cell.detail = unspecified_hint(obs, &seen);
        return cell;
    };

    let verdict = match (&declared, &seen) {
        (Declared::Insert(want), seen) => judge_insert(*want, seen, rows, identity, &obs.probes),
        (
            Declared::Rows { scope, transfer },
            Observed::Rows {
                scope: seen_scope,
                transfer: seen_transfer,
            },
        ) => {
            let want = resolve(scope, rows, identity);
            let mut reasons = row_differences(obs.command, &want, &obs.reached, &obs.probes);
            if let Scope::Labels(labels) = scope {
                let missing: Vec<&str> = labels
                    .iter()
                    .filter(|l| !rows.labels.contains_key(*l))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() && !reasons.is_empty() {
                    reasons.push(format!("no row labelled {}", missing.join(", ")));
                }
            }
            if let Some(seen_transfer) = seen_transfer {
                if seen_transfer != transfer {
                    cell.expected = declared.reach(*transfer);
                    cell.actual = Reach::Rows {
                        scope: seen_scope.clone(),
                        transfer: *seen_transfer,
                    };
                    reasons.push(if *seen_transfer {
                        "can hand an own row to another owner; the spec says it cannot (`transfer = false`)".to_string()
                    } else {
                        "cannot hand an own row to another owner; the spec expects it can (`transfer = true`)".to_string()
                    });
                }
            }
            if reasons.is_empty() {
                Ok(())
            } else {
                Err(reasons.join("; "))
            }
        }
        (Declared::Rows { .. }, _) => {
            Err("the probe engine reported an insert result for a row command".to_string())
        }
    };
    match verdict {
        Ok(()) => {
            cell.outcome = CellOutcome::Pass;
            if matches!(seen, Observed::Rows { .. }) {
                cell.actual = cell.expected.clone();
            }
        }
        Err(reason) => {
            cell.outcome = CellOutcome::Fail;
            cell.detail = with_denials(reason, &obs.probes);
        }
    }
    if cell.outcome == CellOutcome::Pass {
        if let (Declared::Insert(InsertScope::Own), false) = (&declared, rows.owned) {
            cell.detail = own_impossible(rows, identity);
        }
    }
    cell
}

enum Declared {
    Rows { scope: Scope, transfer: bool },
    Insert(InsertScope),
}

impl Declared {
    /// As a cell shows it; `transfer` only where the verdict is about it.
    fn reach(&self, transfer: bool) -> Reach {
        match self {
            Declared::Rows { scope, .. } => Reach::Rows {
                scope: scope.clone(),
                transfer,
            },
            Declared::Insert(scope) => Reach::Insert(*scope),
        }
    }
}

fn judge_insert(
    want: InsertScope,
    seen: &Observed,
    rows: &TableRows,
    identity: &Identity,
    probes: &[Probe],
) -> Result<(), String> {
    let because = |targets: &[&str]| {
        targets
            .iter()
            .find_map(|t| why(probes, t))
            .map(|w| format!(" ({w})"))
            .unwrap_or_default()
    };
    if !rows.owned {
        let want_allowed = want == InsertScope::Any;
        let allowed = matches!(seen, Observed::Insert(InsertScope::Any));
        return match (want_allowed, allowed) {
            (true, false) => Err(format!(
                "could not insert a row{}; the spec allows it ({})",
                because(&["any", "own", "other"]),
                own_context(rows, identity)
            )),
            (false, true) if want == InsertScope::Own => Err(format!(
                "inserted a row; {} so `own` means no row can be inserted: write `any` if that is intended",
                own_context(rows, identity)
            )),
            (false, true) => Err("inserted a row; the spec denies inserts".to_string()),
            _ => Ok(()),
        };
    }
    let (own_ok, other_ok) = match seen {
        Observed::Insert(InsertScope::Deny) => (false, false),
        Observed::Insert(InsertScope::Own) => (true, false),
        Observed::Insert(InsertScope::Any) => (true, true),
        Observed::InsertOtherOnly => (false, true),
        Observed::Rows { .. } => {
            return Err("the probe engine reported rows for an insert".to_string())
        }
    };
    let (want_own, want_other) = match want {
        InsertScope::Deny => (false, false),
        InsertScope::Own => (true, false),
        InsertScope::Any => (true, true),
    };
    let mut reasons = Vec::new();
    if own_ok && !want_own {
        reasons.push("inserted a row owned by itself".to_string());
    }
    if !own_ok && want_own {
        reasons.push(format!(
            "could not insert a row owned by itself{}",
            because(&["own"])
        ));
    }
    if other_ok && !want_other {
        reasons.push("inserted a row owned by another user".to_string());
    }
    if !other_ok && want_other {
        reasons.push(format!(
            "could not insert a row owned by another user{}",
            because(&["other"])
        ));
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

fn own_context(rows: &TableRows, identity: &Identity) -> String {
    if !rows.owned {
        format!("`{}` has no owner column", table_key(&rows.table))
    } else {
        format!("`{}` owns no rows (role {})", identity.name, identity.role)
    }
}

fn own_impossible(rows: &TableRows, identity: &Identity) -> String {
    format!("{}: `own` means no insert", own_context(rows, identity))
}

fn row_differences(
    command: Command,
    want: &BTreeSet<String>,
    reached: &BTreeSet<String>,
    probes: &[Probe],
) -> Vec<String> {
    let extra: Vec<&str> = reached.difference(want).map(String::as_str).collect();
    let missing: Vec<&str> = want.difference(reached).map(String::as_str).collect();
    let (did, could_not) = match command {
        Command::Select => ("sees", "does not see"),
        Command::Update => ("updated", "could not update"),
        Command::Delete => ("deleted", "could not delete"),
        Command::Insert => ("inserted", "could not insert"),
    };
    let mut reasons = Vec::new();
    if !extra.is_empty() {
        reasons.push(format!("{did} {} it should not", rows_phrase(&extra)));
    }
    if !missing.is_empty() {
        let mut groups: Vec<(Option<String>, Vec<&str>)> = Vec::new();
        for label in &missing {
            let reason = why(probes, label);
            match groups.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, labels)) => labels.push(label),
                None => groups.push((reason, vec![label])),
            }
        }
        let parts: Vec<String> = groups
            .into_iter()
            .map(|(reason, labels)| match reason {
                Some(r) => format!("{} ({r})", rows_phrase(&labels)),
                None => rows_phrase(&labels),
            })
            .collect();
        reasons.push(format!("{could_not} {}", parts.join(", ")));
    }
    reasons
}

/// How the probe aimed at `target` was stopped, if it was. Without such a probe (the
/// statement without a filter ran, so the per-row probes were not needed), a row that
/// statement did not reach was hidden by RLS.
fn why(probes: &[Probe], target: &str) -> Option<String> {
    let aimed = probes.iter().filter(|p| p.target == target);
    if aimed.clone().next().is_none() {
        return probes
            .iter()
            .any(|p| {
                p.target == UNFILTERED
                    && matches!(p.outcome, Outcome::Allowed { .. } | Outcome::Filtered)
            })
            .then(|| "hidden by RLS".to_string());
    }
    aimed.into_iter().find_map(|p| match &p.outcome {
        Outcome::Filtered => Some("hidden by RLS".to_string()),
        Outcome::DeniedRls { message } => Some(format!("denied by RLS: {message}")),
        Outcome::DeniedPrivilege { message } => Some(format!("denied by privilege: {message}")),
        Outcome::Allowed { .. } | Outcome::Inconclusive { .. } => None,
    })
}

fn rows_phrase(labels: &[&str]) -> String {
    let names = labels.join(", ");
    if labels.len() == 1 {
        format!("row {names}")
    } else {
        format!("rows {names}")
    }
}

fn with_denials(reason: String, probes: &[Probe]) -> String {
    let privilege: Vec<String> = probes
        .iter()
        .filter_map(|p| match &p.outcome {
            Outcome::DeniedPrivilege { message } => Some(format!("{}: {message}", p.target)),
            _ => None,
        })
        .collect();
    if privilege.is_empty() || reason.contains("denied by privilege") {
        reason
    } else {
        format!("{reason} (denied by privilege: {})", privilege.join("; "))
    }
}

fn inconclusive_text(probe: &Probe) -> String {
    match &probe.outcome {
        Outcome::Inconclusive { sqlstate, message } => {
            format!("probe `{}` failed with {sqlstate}: {message}", probe.target)
        }
        other => format!("probe `{}`: {}", probe.target, other.short()),
    }
}

fn unspecified_hint(obs: &Observation, seen: &Observed) -> String {
    let table = table_key(&obs.table);
    let table = if table.contains('.') {
        format!("\"{table}\"")
    } else {
        table
    };
    let value = match seen {
        Observed::Rows {
            scope: Scope::Labels(labels),
            ..
        } => format!(
            "[{}]",
            labels
                .iter()
                .map(|l| format!("\"{l}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Observed::InsertOtherOnly => "\"any\"".to_string(),
        Observed::Rows { scope, .. } => format!("\"{}\"", Reach::rows(scope.clone())),
        Observed::Insert(scope) => format!("\"{}\"", Reach::Insert(*scope)),
    };
    format!(
        "no spec; the database allows {value}: add `{} = {{ {} = {value} }}` under [tables.{table}]",
        obs.identity, obs.command
    )
}
