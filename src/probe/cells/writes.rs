//! UPDATE and DELETE probes: per row, without a row filter (judged by superuser snapshots),
//! and the transfer of a row to another user or into another tenant.

use std::collections::{BTreeMap, HashMap};

use super::clearing::{children_sql, conflicts_sql};
use super::{probe, PlannedProbe, TRANSFER, TRANSFER_UNFILTERED, UNFILTERED};
use crate::matrix::{quote_ident, Command};
use crate::probe::catalog::{Column, Relation};
use crate::probe::ownership::{Owner, RowModel};
use crate::probe::rows::{key_expr, key_predicate, reference, PlacedRow, Synthesizer};
use crate::probe::values::{column_literal, json_literal, literal};
use crate::spec::Identity;

/// Where a transfer moves a row: to another user, or into another tenant.
#[derive(Clone, Copy)]
pub enum Destination<'a> {
    User(&'a Identity),
    Tenant(&'a str),
}

/// `SET` assignments moving a row of `me`'s (`row`, or every row it reaches when `None`) to
/// `to`: its tenant foreign key to a row of the other tenant; or its owner column (the columns
/// where `me` is the party) to the other user, or its foreign key to a parent row the other
/// user owns.
fn transfer_assignments(
    synth: &Synthesizer,
    rel: &Relation,
    model: &RowModel,
    me: &Identity,
    row: Option<&PlacedRow>,
    to: Destination,
) -> Result<BTreeMap<String, String>, String> {
    let mut set = BTreeMap::new();
    match (to, &model.owner) {
        (Destination::Tenant(tenant), _) => {
            let k = model
                .tenant_fk()
                .ok_or_else(|| format!("{} rows have no tenant to change", rel.table))?;
            let fk = &rel.foreign_keys[k];
            let target = synth
                .tenant_row(&fk.target, tenant, None)
                .ok_or_else(|| format!("{} has no row in tenant {tenant} to move to", fk.target))?;
            set.extend(reference(rel, fk, target));
        }
        (Destination::User(to), Owner::Users(cols)) => {
            let mine: Vec<&String> = match row {
                Some(r) => cols
                    .iter()
                    .zip(&r.facts.owners)
                    .filter(|(_, o)| o.as_deref() == Some(me.name.as_str()))
                    .map(|(c, _)| c)
                    .collect(),
                None => Vec::new(),
            };
            for col in if mine.is_empty() {
                vec![&cols[0]]
            } else {
                mine
            } {
                let ty = rel
                    .column(col)
                    .map(|c| c.sql_type.clone())
                    .unwrap_or_else(|| "uuid".into());
                set.insert(
                    col.clone(),
                    format!("{}::{ty}", literal(to.sub.as_deref().unwrap_or_default())),
                );
            }
        }
        (Destination::User(to), Owner::Parent { fk, parent }) => {
            let fk = &rel.foreign_keys[*fk];
            let target = synth
                .states
                .get(parent)
                .and_then(|s| {
                    s.rows
                        .iter()
                        .find(|r| r.is_owned_by(&to.name) && !r.is_owned_by(&me.name))
                })
                .ok_or_else(|| format!("{} has no row owned by {} to move to", parent, to.name))?;
            set.extend(reference(rel, fk, target));
        }
        (Destination::User(_), Owner::None) => {}
    }
    Ok(set)
}

fn set_clause(set: &BTreeMap<String, String>) -> String {
    set.iter()
        .map(|(c, v)| format!("{} = {v}", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn transfer_probe(
    synth: &Synthesizer,
    rel: &Relation,
    model: &RowModel,
    me: &Identity,
    row: &PlacedRow,
    to: Destination,
) -> PlannedProbe {
    let table = rel.table.qualified();
    let pred = key_predicate(rel, row);
    let set = match transfer_assignments(synth, rel, model, me, Some(row), to) {
        Ok(set) => set,
        Err(why) => {
            return PlannedProbe {
                unbuildable: Some(why),
                ..probe(
                    Command::Update,
                    TRANSFER,
                    String::new(),
                    String::new(),
                    false,
                )
            }
        }
    };
    let mut prelude = children_sql(synth, rel, &pred);
    prelude.push_str(&conflicts_sql(rel, &row_after(rel, row, &set), &pred));
    probe(
        Command::Update,
        TRANSFER,
        prelude,
        format!("update {table} as t set {} where {pred}", set_clause(&set)),
        false,
    )
}

/// `row`'s values once `set` is applied, as `column -> literal::type`: a unique key the new
/// owner already holds with the row's other columns collides.
fn row_after(
    rel: &Relation,
    row: &PlacedRow,
    set: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut after: BTreeMap<String, String> = rel
        .columns
        .iter()
        .filter_map(|c| {
            let v = row.json.get(&c.name).filter(|v| {
                !v.is_null()
                    && (!(v.is_array() || v.is_object())
                        || matches!(c.base_type.as_str(), "json" | "jsonb"))
            })?;
            Some((c.name.clone(), column_literal(v, c)))
        })
        .collect();
    after.extend(set.clone());
    after
}

/// A row filter makes Postgres apply the SELECT policies to an UPDATE or DELETE too, so a
/// probe aimed at one row cannot see a write policy that is wider than what the identity
/// can read. These probes send the statement with no filter, as a client may, and learn
/// from before/after snapshots which rows it really changed (or handed to another owner).
pub(super) fn unfiltered_probes(
    synth: &Synthesizer,
    rel: &Relation,
    model: &RowModel,
    rows: &[PlacedRow],
    touch: &str,
    transfer: Option<(&Identity, Destination)>,
) -> Vec<PlannedProbe> {
    let table = rel.table.qualified();
    let check = Some(snapshot_sql(rel, model));
    let no_children = children_sql(synth, rel, "true");
    let mut probes = vec![
        PlannedProbe {
            check: check.clone(),
            ..probe(
                Command::Update,
                UNFILTERED,
                String::new(),
                format!(
                    "update {table} as t set {}",
                    constant_assignment(rel, model, rows, touch, &|_| true)
                ),
                false,
            )
        },
        PlannedProbe {
            check: check.clone(),
            ..probe(
                Command::Delete,
                UNFILTERED,
                no_children.clone(),
                format!("delete from {table} as t"),
                false,
            )
        },
    ];
    // Handing every reachable row to one owner collides when the owner is (part of) a unique
    // key, e.g. a profile keyed by its user; the per-row transfer probe covers those tables.
    let owner_is_unique = |set: &BTreeMap<String, String>| {
        rel.unique_keys()
            .any(|key| !key.is_empty() && key.iter().all(|c| set.contains_key(c)))
    };
    if let Some((me, to)) = transfer {
        if let Some(set) = transfer_assignments(synth, rel, model, me, None, to)
            .ok()
            .filter(|s| !owner_is_unique(s))
        {
            let mut prelude = no_children;
            prelude.push_str(&conflicts_sql(rel, &set, "false"));
            // each row handed over keeps its other key columns: clear what it would meet
            if let Some(state) = synth.states.get(&rel.table) {
                for row in &state.rows {
                    let pred = key_predicate(rel, row);
                    prelude.push_str(&conflicts_sql(rel, &row_after(rel, row, &set), &pred));
                }
            }
            probes.push(PlannedProbe {
                check,
                ..probe(
                    Command::Update,
                    TRANSFER_UNFILTERED,
                    prelude,
                    format!("update {table} as t set {}", set_clause(&set)),
                    false,
                )
            });
        }
    }
    probes
}

/// `col = <a value some row already holds>`: a SET that reads no column, so Postgres applies
/// only the UPDATE policy (reading a column, even `col = t.col`, brings in the SELECT
/// policies). The column is outside every unique key and every key or owner column, so one
/// value for all rows collides with nothing. Without such a column, `touch = t.touch`.
pub(super) fn constant_assignment(
    rel: &Relation,
    model: &RowModel,
    rows: &[PlacedRow],
    touch: &str,
    shown: &dyn Fn(&str) -> bool,
) -> String {
    let owner_cols = model.owner_columns(rel);
    let keyed = |name: &str| {
        rel.unique_keys().any(|k| k.iter().any(|c| c == name))
            || rel
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.iter().any(|c| c == name))
            || owner_cols.iter().any(|c| *c == name)
    };
    let value = |c: &Column| {
        rows.iter().find_map(|r| {
            r.json
                .get(&c.name)
                .filter(|v| !v.is_null())
                .map(|v| column_literal(v, c))
        })
    };
    // a JSON array read back from a text[] column is no array literal
    let scalar_or_json =
        |c: &&Column| matches!(c.base_type.as_str(), "json" | "jsonb") || c.category != 'A';
    let free = rel
        .columns
        .iter()
        .filter(|c| c.writable() && !keyed(&c.name) && shown(&c.name))
        .filter(scalar_or_json);
    let pick = free
        .clone()
        .filter(|c| c.name == touch)
        .chain(free)
        .find_map(|c| value(c).map(|v| (c, v)));
    match pick {
        Some((c, v)) => format!("{} = {v}", quote_ident(&c.name)),
        None => {
            let col = quote_ident(touch);
            format!("{col} = t.{col}")
        }
    }
}

/// `key␟ctid␟owner` per row, one per line, read by the superuser; the owner part holds the
/// owner columns (or the owning foreign key) and the tenant foreign key.
pub(super) fn snapshot_sql(rel: &Relation, model: &RowModel) -> String {
    let mut columns: Vec<&String> = model.owner_columns(rel);
    if let Some(k) = model.tenant_fk() {
        columns.extend(
            rel.foreign_keys[k]
                .columns
                .iter()
                .filter(|c| !columns.contains(c))
                .collect::<Vec<_>>(),
        );
    }
    let owner = if columns.is_empty() {
        "''".to_string()
    } else {
        let cols: Vec<String> = columns
            .iter()
            .map(|c| format!("t.{}", quote_ident(c)))
            .collect();
        format!("row({})::text", cols.join(", "))
    };
    format!(
        "select coalesce(string_agg(k, E'\\n'), '') from (select {} || chr(31) || t.ctid::text || chr(31) || coalesce({owner}, '') as k from {} as t) s",
        key_expr(rel),
        rel.table.qualified()
    )
}

/// Rows an unfiltered probe changed, by key: deleted, rewritten, or given another owner.
pub struct Changes {
    pub touched: Vec<String>,
    pub reowned: Vec<String>,
}

pub fn changes(payload: &str) -> Option<Changes> {
    let (before, after) = payload.split_once('\u{1e}')?;
    let parse = |text: &str| -> HashMap<String, (String, String)> {
        text.lines()
            .filter_map(|l| {
                let mut parts = l.split('\u{1f}');
                Some((
                    parts.next()?.to_string(),
                    (
                        parts.next()?.to_string(),
                        parts.next().unwrap_or("").to_string(),
                    ),
                ))
            })
            .collect()
    };
    let (before, after) = (parse(before), parse(after));
    let mut touched = Vec::new();
    let mut reowned = Vec::new();
    for (key, (ctid, owner)) in &before {
        match after.get(key) {
            None => touched.push(key.clone()),
            Some((c, o)) => {
                if c != ctid {
                    touched.push(key.clone());
                }
                if o != owner {
                    reowned.push(key.clone());
                }
            }
        }
    }
    Some(Changes { touched, reowned })
}

/// The column an UPDATE probe sets to itself: a plain data column the role may update when
/// there is one (column-level grants count), so the probe tests the policy rather than key
/// or ownership changes; with no updatable column the probe meets the missing grant.
pub(crate) fn touch_column(rel: &Relation, model: &RowModel, updatable: &[String]) -> String {
    let owner_cols = model.owner_columns(rel);
    let is_key = |name: &str| {
        rel.primary_key.iter().any(|c| c == name)
            || rel
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.iter().any(|c| c == name))
    };
    let granted = |name: &str| updatable.iter().any(|u| u == name);
    let plain = |c: &&Column| !owner_cols.contains(&&c.name) && !is_key(&c.name);
    let writable = || rel.columns.iter().filter(|c| c.writable());
    writable()
        .find(|c| granted(&c.name) && plain(c))
        .or_else(|| writable().find(|c| granted(&c.name)))
        .or_else(|| writable().find(plain))
        .or_else(|| writable().next())
        .map(|c| c.name.clone())
        .unwrap_or_else(|| rel.columns[0].name.clone())
}

/// `.upsert()` of `row` as it stands: `INSERT ... ON CONFLICT (key) DO UPDATE` setting
/// `touch` to itself, which takes the conflict path and so needs the INSERT policies' WITH
/// CHECK, the UPDATE policies and the SELECT policies on the row. `None` without a key.
pub(super) fn upsert_probe(rel: &Relation, row: &PlacedRow, touch: &str) -> Option<PlannedProbe> {
    if rel.primary_key.is_empty() {
        return None;
    }
    let columns: Vec<&Column> = rel.columns.iter().filter(|c| !c.generated).collect();
    let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    let overriding = if columns.iter().any(|c| c.identity) {
        " overriding system value"
    } else {
        ""
    };
    let key: Vec<String> = rel.primary_key.iter().map(|c| quote_ident(c)).collect();
    let touch = quote_ident(touch);
    let statement = format!(
        "insert into {table} as t ({cols}){overriding} select {cols} from \
         jsonb_populate_record(null::{table}, {json}::jsonb) \
         on conflict ({key}) do update set {touch} = excluded.{touch}",
        table = rel.table.qualified(),
        cols = names.join(", "),
        json = json_literal(&serde_json::Value::Object(row.json.clone())),
        key = key.join(", "),
    );
    Some(probe(
        Command::Update,
        &format!("{}{}", crate::matrix::shape::UPSERT, row.label),
        String::new(),
        statement,
        false,
    ))
}
