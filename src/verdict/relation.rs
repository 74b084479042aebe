//! Observed vs expected for relations: each table x identity x command becomes a [`Cell`]
//! that passes, fails, is unspecified, or is inconclusive. An inconclusive probe never passes.

use std::collections::BTreeSet;

use super::cell::{Cell, CellOutcome};
use super::reach::Reach;
use super::subject::{Action, Subject};
use crate::matrix::{
    insert_target, Command, InsertScope, Observation, Outcome, Probe, RowFacts, Scope, TableRows,
};
use crate::probe::cells::{TRANSFER, UNFILTERED};
use crate::spec::identities::Identity;
use crate::spec::specs::{table_key, Expectation};

/// What an observation amounts to in the spec vocabulary, for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// SELECT, UPDATE, DELETE: the rows reached, named as simply as possible; UPDATE also says
    /// whether a row could be handed to another owner or tenant (when that was probed).
    Rows {
        scope: Scope,
        transfer: Option<bool>,
    },
    Insert(InsertScope),
    /// INSERT accepted these probes' rows, and no insert scope says exactly that (`other`: a
    /// row owned by another identity, but not an own row).
    Inserted(BTreeSet<String>),
}

impl Observed {
    /// As a cell shows it: a transfer only when it was seen.
    pub fn reach(&self) -> Reach {
        match self {
            Observed::Rows { scope, transfer } => Reach::Rows {
                scope: scope.clone(),
                transfer: *transfer == Some(true),
            },
            Observed::Insert(scope) => Reach::Insert(scope.clone()),
            Observed::Inserted(targets) => Reach::Inserted(targets.clone()),
        }
    }
}

/// Is the row `label` (with `facts`) in `scope` for `identity`? `parties` names the table's
/// owner columns, for `own:COLUMN`.
pub fn admits(
    scope: &Scope,
    label: &str,
    facts: &RowFacts,
    parties: &[String],
    identity: &Identity,
) -> bool {
    match scope {
        Scope::None => false,
        Scope::All => true,
        Scope::Own => facts.is_owner(&identity.name),
        Scope::Party(column) => parties
            .iter()
            .position(|p| p == column)
            .and_then(|i| facts.owners.get(i))
            .is_some_and(|o| o.as_deref() == Some(identity.name.as_str())),
        Scope::Tenant(role) => facts
            .tenant
            .as_deref()
            .is_some_and(|t| identity.tenants_with(role.as_deref()).any(|mine| mine == t)),
        Scope::Labels(labels) => labels.contains(label),
        Scope::Union(parts) => parts
            .iter()
            .any(|p| admits(p, label, facts, parties, identity)),
    }
}

/// The roles `identity` holds in its tenants, each once.
fn roles_of(identity: &Identity) -> Vec<&str> {
    let mut roles: Vec<&str> = Vec::new();
    for role in identity.tenants.iter().filter_map(|t| t.role.as_deref()) {
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles
}

/// The simplest scope naming exactly `reached`: a word, a union of two words, or the labels.
pub fn name_rows(reached: &BTreeSet<String>, rows: &TableRows, identity: &Identity) -> Scope {
    if reached.is_empty() {
        return Scope::None;
    }
    if *reached == rows.all_labels() {
        return Scope::All;
    }
    let mut words = vec![Scope::Own];
    if rows.tenant_scoped {
        words.push(Scope::Tenant(None));
        words.extend(
            roles_of(identity)
                .into_iter()
                .map(|r| Scope::Tenant(Some(r.to_string()))),
        );
    }
    if rows.parties.len() > 1 {
        words.extend(rows.parties.iter().map(|p| Scope::Party(p.clone())));
    }
    let sets: Vec<(Scope, BTreeSet<String>)> = words
        .into_iter()
        .map(|w| {
            let set = resolve(&w, rows, identity);
            (w, set)
        })
        .filter(|(_, set)| !set.is_empty())
        .collect();
    if let Some((word, _)) = sets.iter().find(|(_, set)| set == reached) {
        return word.clone();
    }
    for (i, (a, sa)) in sets.iter().enumerate() {
        for (b, sb) in &sets[i + 1..] {
            if sa.union(sb).cloned().collect::<BTreeSet<_>>() == *reached
                && !sa.is_subset(sb)
                && !sb.is_subset(sa)
            {
                return Scope::Union(vec![a.clone(), b.clone()]);
            }
        }
    }
    Scope::Labels(reached.clone())
}

/// A transfer probe ran for this UPDATE cell (the identity had a row to move and somewhere
/// to move it).
fn transfer_probed(obs: &Observation) -> bool {
    obs.probes.iter().any(|p| p.target.starts_with(TRANSFER))
}

/// Would an insert under `scope` accept the row of the probe aimed at `target`?
pub fn insert_expects(
    scope: &InsertScope,
    target: &str,
    rows: &TableRows,
    identity: &Identity,
) -> bool {
    let own = target == insert_target::OWN || target.starts_with("own:");
    if target == insert_target::FORGED {
        return *scope == InsertScope::Any;
    }
    match scope {
        InsertScope::Deny => false,
        InsertScope::Any => true,
        InsertScope::Own => rows.owned && own,
        InsertScope::Party(column) => target == insert_target::party(column),
        InsertScope::Tenant(role) => {
            rows.tenant_scoped
                && identity.tenants_with(role.as_deref()).next().is_some()
                && (own || target == insert_target::OTHER)
        }
    }
}

/// The observation in the spec vocabulary (`rlsgate snapshot` writes this).
pub fn observed(obs: &Observation, rows: &TableRows, identity: &Identity) -> Observed {
    match obs.command {
        Command::Insert => {
            let probed: Vec<&str> = obs
                .probes
                .iter()
                .map(|p| p.target.as_str())
                .filter(|t| *t != insert_target::OWN_COPY)
                .collect();
            let matches = |scope: &InsertScope| {
                probed
                    .iter()
                    .all(|t| insert_expects(scope, t, rows, identity) == obs.inserted.contains(*t))
            };
            let tenant_only = rows.tenant_scoped && !rows.owned;
            let mut candidates = vec![InsertScope::Deny];
            if tenant_only {
                candidates.push(InsertScope::Tenant(None));
            }
            candidates.push(InsertScope::Own);
            if rows.parties.len() > 1 {
                candidates.extend(rows.parties.iter().map(|p| InsertScope::Party(p.clone())));
            }
            if rows.tenant_scoped && !tenant_only {
                candidates.push(InsertScope::Tenant(None));
            }
            if rows.tenant_scoped {
                candidates.extend(
                    roles_of(identity)
                        .into_iter()
                        .map(|r| InsertScope::Tenant(Some(r.to_string()))),
                );
            }
            candidates.push(InsertScope::Any);
            match candidates.into_iter().find(|c| matches(c)) {
                Some(scope) => Observed::Insert(scope),
                None => Observed::Inserted(
                    obs.inserted
                        .iter()
                        .filter(|t| *t != insert_target::OWN_COPY)
                        .cloned()
                        .collect(),
                ),
            }
        }
        command => Observed::Rows {
            scope: name_rows(&obs.reached, rows, identity),
            transfer: (command == Command::Update && transfer_probed(obs)).then_some(obs.transfer),
        },
    }
}

/// The labels a scope stands for on this table, for this identity.
pub fn resolve(scope: &Scope, rows: &TableRows, identity: &Identity) -> BTreeSet<String> {
    rows.labels
        .iter()
        .filter(|(label, facts)| admits(scope, label, facts, &rows.parties, identity))
        .map(|(label, _)| label.clone())
        .collect()
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
    let policy_error = obs.policy_error().filter(|_| inconclusive.is_none());
    let rows_command = obs.command != Command::Insert;
    let mut cell = Cell {
        subject: Subject::Relation(obs.table.clone()),
        identity: obs.identity.clone(),
        action: Action::from(obs.command),
        expected: Reach::Unspecified,
        actual: if inconclusive.is_some() {
            Reach::Inconclusive
        } else if policy_error.is_some() {
            Reach::PolicyError
        } else {
            seen.reach()
        },
        reached: (rows_command && inconclusive.is_none()).then(|| obs.reached.clone()),
        allowed: None,
        outcome: CellOutcome::Unspecified,
        detail: String::new(),
        probes: obs.probes.clone(),
        suspicion: None,
        shapes: super::shapes::notes(obs),
    };

    let declared = exp.and_then(|e| match obs.command {
        Command::Insert => e.insert.clone().map(Declared::Insert),
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
    if let Some(probe) = policy_error {
        cell.outcome = CellOutcome::PolicyError;
        cell.detail = policy_error_text(probe);
        return cell;
    }
    let Some(declared) = declared else {
        cell.detail = unspecified_hint(obs, &seen);
        return cell;
    };

    let verdict = match (&declared, &seen) {
        (Declared::Insert(want), seen) => judge_insert(want, seen, obs, rows, identity),
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
                    let what = if rows.tenant_scoped {
                        "move a row of its tenant into another tenant"
                    } else {
                        "hand an own row to another owner"
                    };
                    reasons.push(if *seen_transfer {
                        format!("can {what}; the spec says it cannot (`transfer = false`)")
                    } else {
                        format!("cannot {what}; the spec expects it can (`transfer = true`)")
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
            Declared::Insert(scope) => Reach::Insert(scope.clone()),
        }
    }
}

fn judge_insert(
    want: &InsertScope,
    seen: &Observed,
    obs: &Observation,
    rows: &TableRows,
    identity: &Identity,
) -> Result<(), String> {
    let probes = &obs.probes;
    let because = |targets: &[&str]| {
        targets
            .iter()
            .find_map(|t| why(probes, t))
            .map(|w| format!(" ({w})"))
            .unwrap_or_default()
    };
    if !rows.owned && !rows.tenant_scoped {
        let want_allowed = *want == InsertScope::Any;
        let allowed = matches!(seen, Observed::Insert(InsertScope::Any));
        return match (want_allowed, allowed) {
            (true, false) => Err(format!(
                "could not insert a row{}; the spec allows it ({})",
                because(&["any", "own", "other"]),
                own_context(rows, identity)
            )),
            (false, true) if *want == InsertScope::Own => Err(format!(
                "inserted a row; {} so `own` means no row can be inserted: write `any` if that is intended",
                own_context(rows, identity)
            )),
            (false, true) => Err("inserted a row; the spec denies inserts".to_string()),
            _ => Ok(()),
        };
    }
    let mut reasons = Vec::new();
    let mut judged = BTreeSet::new();
    for p in probes
        .iter()
        .filter(|p| p.target != insert_target::OWN_COPY && judged.insert(p.target.as_str()))
    {
        let target = p.target.as_str();
        let accepted = obs.inserted.contains(target);
        if insert_expects(want, target, rows, identity) == accepted {
            continue;
        }
        let row = match target {
            insert_target::OWN => "a row owned by itself".to_string(),
            insert_target::OTHER if rows.tenant_scoped => {
                "a row owned by another member of its tenant".to_string()
            }
            insert_target::OTHER => "a row owned by another user".to_string(),
            insert_target::OTHER_TENANT => "a row into another tenant".to_string(),
            insert_target::ANY => "a row".to_string(),
            insert_target::FORGED => "an own row in another user's name".to_string(),
            party => format!("a row as {}", party.trim_start_matches("own:")),
        };
        reasons.push(if accepted {
            format!("inserted {row}")
        } else {
            format!("could not insert {row}{}", because(&[target]))
        });
    }
    if let Some(copy) = probes.iter().find(|p| p.target == insert_target::OWN_COPY) {
        reasons.push(match copy.outcome {
            Outcome::Allowed { .. } => "the synthesized own row was rejected and a copy of an own row accepted: the policy checks the row's data".to_string(),
            _ => "a copy of an own row was rejected too".to_string(),
        });
        if reasons.len() == 1 {
            return Ok(());
        }
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
        Outcome::PolicyError { message, .. } => Some(format!("a policy failed: {message}")),
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

fn policy_error_text(probe: &Probe) -> String {
    match &probe.outcome {
        Outcome::PolicyError { sqlstate, message } => format!(
            "probe `{}`: a policy failed for this identity with {sqlstate}: {message}; every \
             such request errors (the policy reads what the caller may not, or a function it \
             calls raises): fix the policy",
            probe.target
        ),
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
    let list = |items: Vec<String>| {
        format!(
            "[{}]",
            items
                .iter()
                .map(|l| format!("\"{l}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let value = match seen {
        Observed::Rows {
            scope: Scope::Labels(labels),
            ..
        } => list(labels.iter().cloned().collect()),
        Observed::Rows {
            scope: Scope::Union(parts),
            ..
        } => list(
            parts
                .iter()
                .flat_map(|p| match p {
                    Scope::Labels(labels) => labels.iter().cloned().collect::<Vec<_>>(),
                    word => vec![Reach::rows(word.clone()).to_string()],
                })
                .collect(),
        ),
        Observed::Inserted(_) => "\"any\"".to_string(),
        Observed::Rows { scope, .. } => format!("\"{}\"", Reach::rows(scope.clone())),
        Observed::Insert(scope) => format!("\"{}\"", Reach::Insert(scope.clone())),
    };
    format!(
        "no spec; the database allows {value}: add `{} = {{ {} = {value} }}` under [tables.{table}]",
        obs.identity, obs.command
    )
}
