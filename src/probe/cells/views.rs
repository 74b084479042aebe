//! Writes through a view that shows its base table's key: the same probes as on the table
//! (rows built for the base table, the columns the view shows), sent to the view and judged
//! by snapshots of the base table, so own, tenant and label scopes hold on views too.

use super::clearing::children_sql;
use super::writes::{constant_assignment, snapshot_sql};
use super::{inserts, probe, PlannedProbe, UNFILTERED};
use crate::matrix::{quote_ident, Command};
use crate::probe::catalog::Relation;
use crate::probe::rows::{key_predicate, Synthesizer, TableState};
use crate::spec::Identity;

/// The INSERT, UPDATE and DELETE probes of `identity` on `view`, whose rows are `base`'s.
pub(super) fn plan(
    synth: &Synthesizer,
    view: &Relation,
    base: &Relation,
    state: &TableState,
    identity: &Identity,
    other: Option<&Identity>,
    seq: &mut usize,
) -> Vec<PlannedProbe> {
    let model = &state.model;
    let mut probes = inserts::plan(synth, base, view, model, identity, other, seq);
    let shown = |c: &str| view.column(c).is_some_and(|c| c.writable());
    let Some(touch) = view
        .columns
        .iter()
        .find(|c| c.writable() && !view.primary_key.contains(&c.name))
        .map(|c| c.name.clone())
    else {
        return probes;
    };
    if state.rows.is_empty() {
        return probes;
    }
    let table = view.table.qualified();
    let check = Some(snapshot_sql(base, model));
    probes.push(PlannedProbe {
        check: check.clone(),
        ..probe(
            Command::Update,
            UNFILTERED,
            String::new(),
            format!(
                "update {table} as t set {}",
                constant_assignment(base, model, &state.rows, &touch, &shown)
            ),
            false,
        )
    });
    probes.push(PlannedProbe {
        check,
        ..probe(
            Command::Delete,
            UNFILTERED,
            children_sql(synth, base, "true"),
            format!("delete from {table} as t"),
            false,
        )
    });
    let col = quote_ident(&touch);
    let mut seen = std::collections::HashSet::new();
    for row in state.rows.iter().filter(|r| seen.insert(r.label.clone())) {
        let pred = key_predicate(view, row);
        probes.push(PlannedProbe {
            covered_by: Some((Command::Update, UNFILTERED)),
            ..probe(
                Command::Update,
                &row.label,
                String::new(),
                format!("update {table} as t set {col} = t.{col} where {pred}"),
                false,
            )
        });
        probes.push(PlannedProbe {
            covered_by: Some((Command::Delete, UNFILTERED)),
            ..probe(
                Command::Delete,
                &row.label,
                children_sql(synth, base, &pred),
                format!("delete from {table} as t where {pred}"),
                false,
            )
        });
    }
    probes
}
