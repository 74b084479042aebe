//! Probe statements for one table x identity, and how their outcomes are read.
//!
//! All probes of a table x identity go to the server in one call of a temporary PL/pgSQL
//! function. Each probe runs in its own subtransaction (an exception block): an optional
//! superuser prelude clears what would make the statement fail for reasons other than the
//! policy (a duplicate key, a child row), then the role and JWT claims are set exactly as
//! PostgREST sets them (`role`, `request.jwt.claims`, and the legacy `request.jwt.claim.*`),
//! the statement runs, and the subtransaction is always rolled back.

mod clearing;
mod inserts;
mod run;
mod timeout;
mod views;
mod writes;

use std::collections::HashSet;

use super::catalog::Relation;
use super::ownership::RowModel;
use super::rows::{key_expr, key_predicate, PlacedRow, Synthesizer, TableState};
use crate::matrix::{quote_ident, Command, Outcome};
use crate::spec::Identity;
use clearing::{children_sql, without_enforcement};
pub(crate) use clearing::{clear_children, clear_conflicts};
pub use run::{classify, execute, position_of, PROBE_FUNCTION};
pub use timeout::is_statement_timeout;
pub(crate) use writes::touch_column;
pub use writes::{changes, Changes, Destination};
use writes::{transfer_probe, unfiltered_probes, upsert_probe};

#[derive(Debug, Clone)]
pub struct PlannedProbe {
    pub command: Command,
    /// `rows` (select), `own`/`other`/`any` (insert), a row label (update/delete), `transfer`.
    pub target: String,
    pub prelude: String,
    pub statement: String,
    pub select: bool,
    /// Superuser SQL snapshotting the table (`key@ctid@owner` per row) before and after the
    /// statement, for statements without a row filter: which rows they really changed.
    pub check: Option<String>,
    /// Why the probe could not even be built: it is then inconclusive without running.
    pub unbuildable: Option<String>,
    /// An earlier probe (its command and target) whose success makes this one redundant: it
    /// is then skipped and reported as covered. By name, not position, so that a plan whose
    /// probes were filtered (mutation testing keeps some commands) never points elsewhere.
    pub covered_by: Option<(Command, &'static str)>,
}

pub struct Plan<'a> {
    pub rel: &'a Relation,
    pub identity: &'a Identity,
    pub probes: Vec<PlannedProbe>,
}

pub struct ProbeResult {
    pub outcome: Outcome,
    pub payload: String,
    /// Not run: a probe it depends on already settled what it would have shown.
    pub covered: bool,
}

pub const TRANSFER: &str = "transfer";
/// Target of the UPDATE and DELETE probes sent without a row filter.
pub const UNFILTERED: &str = "unfiltered";
pub const TRANSFER_UNFILTERED: &str = "transfer unfiltered";

/// Builds every probe for one table x identity.
pub fn plan<'a>(
    synth: &Synthesizer,
    rel: &'a Relation,
    state: Option<&TableState>,
    identity: &'a Identity,
    owners: &[&Identity],
    updatable: &[String],
    seq: &mut usize,
) -> Plan<'a> {
    let mut probes = Vec::new();
    let key = key_expr(rel);
    let table = rel.table.qualified();
    let row_based = rel.kind.holds_rows();
    let keyed = row_based || rel.base.is_some();
    let select_sql = if keyed {
        format!(
            "select coalesce(string_agg(k, E'\\n'), '') from (select {key} as k from {table} t) s"
        )
    } else {
        format!("select coalesce(string_agg(to_jsonb(t)::text, E'\\n'), '') from {table} t")
    };
    probes.push(probe(
        Command::Select,
        "rows",
        String::new(),
        select_sql,
        true,
    ));

    let base = rel.base.as_ref().and_then(|b| synth.catalog.get(b));
    if !row_based {
        match (base, state) {
            (Some(base), Some(state)) => {
                let other = owners.iter().copied().find(|o| o.name != identity.name);
                probes.extend(views::plan(synth, rel, base, state, identity, other, seq));
            }
            _ => plan_relation_writes(rel, identity, &mut probes),
        }
        return Plan {
            rel,
            identity,
            probes,
        };
    }
    let Some(state) = state else {
        return Plan {
            rel,
            identity,
            probes,
        };
    };
    let model = &state.model;
    let other = owners.iter().copied().find(|o| o.name != identity.name);
    probes.extend(inserts::plan(synth, rel, rel, model, identity, other, seq));

    // UPDATE and DELETE of every row at once, then of one labelled row at a time: those run
    // only when the statement without a filter failed, since a filter can only narrow what
    // it reaches (it brings in the SELECT policies).
    let touch = touch_column(rel, model, updatable);
    let (home, destination) = transfer_of(synth, model, &state.rows, identity, other);
    if !state.rows.is_empty() {
        probes.extend(unfiltered_probes(
            synth,
            rel,
            model,
            &state.rows,
            &touch,
            home.and(destination).map(|d| (identity, d)),
        ));
    }
    let cover = |probes: &[PlannedProbe], command: Command, target: &'static str| {
        probes
            .iter()
            .any(|p| p.command == command && p.target == target)
            .then_some((command, target))
    };
    let mut seen = HashSet::new();
    for row in state.rows.iter().filter(|r| seen.insert(r.label.clone())) {
        let pred = key_predicate(rel, row);
        let col = quote_ident(&touch);
        let update = probe(
            Command::Update,
            &row.label,
            String::new(),
            format!("update {table} as t set {col} = t.{col} where {pred}"),
            false,
        );
        let delete = probe(
            Command::Delete,
            &row.label,
            children_sql(synth, rel, &pred),
            format!("delete from {table} as t where {pred}"),
            false,
        );
        probes.push(PlannedProbe {
            covered_by: cover(&probes, Command::Update, UNFILTERED),
            ..update
        });
        probes.push(PlannedProbe {
            covered_by: cover(&probes, Command::Delete, UNFILTERED),
            ..delete
        });
    }

    // Transfer: the identity's own row handed to another user, or a row of its tenant moved
    // into another tenant.
    if let (Some(row), Some(to)) = (home, destination) {
        let transfer = transfer_probe(synth, rel, model, identity, row, to);
        probes.push(PlannedProbe {
            covered_by: cover(&probes, Command::Update, TRANSFER_UNFILTERED),
            ..transfer
        });
    }
    probes.extend(home.and_then(|row| upsert_probe(rel, row, &touch)));
    Plan {
        rel,
        identity,
        probes,
    }
}

/// The row a transfer probe moves and where to: on a tenant-scoped table a row of the
/// identity's tenant (its own when it has one) into another tenant; on an owned table the
/// identity's own row to another user.
fn transfer_of<'r, 's>(
    synth: &'s Synthesizer,
    model: &RowModel,
    rows: &'r [PlacedRow],
    identity: &Identity,
    other: Option<&'s Identity>,
) -> (Option<&'r PlacedRow>, Option<Destination<'s>>) {
    if model.tenant_fk().is_some() {
        let tenants = synth.tenants_of(&identity.name);
        let Some(home) = tenants.first() else {
            return (None, None);
        };
        let in_home = |r: &&PlacedRow| r.facts.tenant.as_deref() == Some(*home);
        let row = rows
            .iter()
            .filter(in_home)
            .find(|r| r.is_owned_by(&identity.name))
            .or_else(|| rows.iter().find(in_home));
        let foreign = synth
            .tenant_names()
            .into_iter()
            .find(|t| !tenants.contains(t));
        (row, foreign.map(Destination::Tenant))
    } else if model.is_owned() {
        let row = rows.iter().find(|r| r.is_owned_by(&identity.name));
        (row, other.map(Destination::User))
    } else {
        (None, None)
    }
}

fn probe(
    command: Command,
    target: &str,
    prelude: String,
    statement: String,
    select: bool,
) -> PlannedProbe {
    PlannedProbe {
        command,
        target: target.to_string(),
        prelude: without_enforcement(prelude),
        statement,
        select,
        check: None,
        unbuildable: None,
        covered_by: None,
    }
}

/// Writes to views and materialized views: whole-relation statements.
fn plan_relation_writes(rel: &Relation, _identity: &Identity, probes: &mut Vec<PlannedProbe>) {
    let table = rel.table.qualified();
    let Some(col) = rel.columns.iter().find(|c| c.writable()) else {
        return;
    };
    let col = quote_ident(&col.name);
    probes.push(probe(
        Command::Update,
        "rows",
        String::new(),
        format!("update {table} as t set {col} = t.{col}"),
        false,
    ));
    probes.push(probe(
        Command::Delete,
        "rows",
        String::new(),
        format!("delete from {table} as t"),
        false,
    ));
    probes.push(probe(
        Command::Insert,
        "any",
        String::new(),
        format!("insert into {table} default values"),
        false,
    ));
}
