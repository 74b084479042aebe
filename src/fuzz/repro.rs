//! A failing case as SQL a person can paste into psql against the migrated database.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::Attempt;
use crate::matrix::{quote_ident, TableRef};
use crate::probe::catalog::Relation;
use crate::probe::rows::{key_predicate, PlacedRow, Synthesizer};
use crate::probe::values::literal;
use crate::spec::Identity;

/// `row` and the rows it references (through foreign keys, transitively), parents first.
pub(super) fn lineage(
    synth: &Synthesizer,
    rel: &Relation,
    row: &PlacedRow,
) -> Vec<(TableRef, PlacedRow)> {
    let mut out = Vec::new();
    collect(synth, rel, row, &mut out, 0);
    out
}

fn collect(
    synth: &Synthesizer,
    rel: &Relation,
    row: &PlacedRow,
    out: &mut Vec<(TableRef, PlacedRow)>,
    depth: usize,
) {
    if depth > 8 || out.iter().any(|(t, r)| *t == rel.table && r.key == row.key) {
        return;
    }
    let references =
        |c: &str, parent: &Json| row.json.get(c).is_some_and(|v| !v.is_null() && parent == v);
    for (parent_rel, parent) in parents(synth, rel, references) {
        collect(synth, parent_rel, parent, out, depth + 1);
    }
    if !out.iter().any(|(t, r)| *t == rel.table && r.key == row.key) {
        out.push((rel.table.clone(), row.clone()));
    }
}

/// The parents an INSERT's values reference.
pub(super) fn parents_of_insert(
    synth: &Synthesizer,
    rel: &Relation,
    values: &BTreeMap<String, String>,
) -> Vec<(TableRef, PlacedRow)> {
    let references = |c: &str, parent: &Json| match (values.get(c), parent) {
        (Some(v), Json::String(s)) => v.contains(&literal(s)),
        (Some(v), Json::Number(n)) => v.contains(&n.to_string()),
        _ => false,
    };
    let mut out = Vec::new();
    for (parent_rel, parent) in parents(synth, rel, references) {
        collect(synth, parent_rel, parent, &mut out, 1);
    }
    out
}

/// For each foreign key of `rel` (outside `auth`), the placed parent row whose key columns
/// `references(child column, parent value)` accepts.
fn parents<'s>(
    synth: &'s Synthesizer,
    rel: &Relation,
    references: impl Fn(&str, &Json) -> bool,
) -> Vec<(&'s Relation, &'s PlacedRow)> {
    let mut out = Vec::new();
    for fk in rel
        .foreign_keys
        .iter()
        .filter(|fk| fk.target.schema != "auth")
    {
        let (Some(parent_rel), Some(state)) =
            (synth.catalog.get(&fk.target), synth.states.get(&fk.target))
        else {
            continue;
        };
        let parent = state.rows.iter().find(|p| {
            fk.columns
                .iter()
                .zip(&fk.target_columns)
                .all(|(c, tc)| p.json.get(tc).is_some_and(|v| references(c, v)))
        });
        if let Some(parent) = parent {
            out.push((parent_rel, parent));
        }
    }
    out
}

/// The reproduction of `attempt` run by `role` with `claims`, reaching `row` (for a SELECT).
pub(super) fn sql(
    synth: &Synthesizer,
    users: &[Identity],
    role: &str,
    claims: &str,
    attempt: &Attempt,
    rows: &[(TableRef, PlacedRow)],
    seen: Option<&PlacedRow>,
) -> String {
    let mut s = String::from(
        "-- Run against the migrated database (e.g. the psql command `rlsgate db` prints).\nbegin;\n",
    );
    // The users the claims or the rows name (Supabase Auth creates them; signup triggers fire).
    let named = |sub: &str| {
        claims.contains(sub)
            || rows
                .iter()
                .any(|(_, r)| Json::Object(r.json.clone()).to_string().contains(sub))
            || attempt.statement.contains(sub)
    };
    for u in users.iter().filter(|u| u.sub.as_deref().is_some_and(named)) {
        s.push_str(&format!(
            "insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)\n  values ('00000000-0000-0000-0000-000000000000', {}, 'authenticated', 'authenticated', {}, '{{\"provider\":\"email\"}}', '{{}}', now(), now());\n",
            literal(u.sub.as_deref().unwrap_or_default()),
            literal(u.email.as_deref().unwrap_or_default()),
        ));
    }
    for (table, row) in rows {
        let Some(rel) = synth.catalog.get(table) else {
            continue;
        };
        let cols: Vec<String> = rel
            .columns
            .iter()
            .filter(|c| !c.generated)
            .map(|c| quote_ident(&c.name))
            .collect();
        let cols = cols.join(", ");
        let q = table.qualified();
        s.push_str(&format!(
            "insert into {q} ({cols}) overriding system value\n  select {cols} from jsonb_populate_record(null::{q}, {}) on conflict do nothing;\n",
            literal(&Json::Object(row.json.clone()).to_string()),
        ));
    }
    if !attempt.prelude.is_empty() {
        s.push_str(&attempt.prelude);
        if !attempt.prelude.trim_end().ends_with(';') {
            s.push(';');
        }
        s.push('\n');
    }
    s.push_str(&format!("set local role {};\n", quote_ident(role)));
    s.push_str(&format!(
        "select set_config('request.jwt.claims', {}, true);\n",
        literal(claims)
    ));
    s.push_str(&format!(
        "select set_config('request.jwt.claim.sub', {}, true);\n",
        literal(&super::claims::sub_of(claims))
    ));
    let statement = match (seen, synth.catalog.get(&attempt.table)) {
        (Some(row), Some(rel)) => format!(
            "select * from {} as t where {}",
            attempt.table.qualified(),
            key_predicate(rel, row)
        ),
        _ => attempt.statement.clone(),
    };
    s.push_str(&format!("{statement};\nrollback;\n"));
    s
}
