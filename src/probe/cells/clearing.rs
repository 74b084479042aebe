//! Superuser preludes that clear what would make a probe fail for reasons other than the
//! policy: rows colliding on a unique key, child rows behind a RESTRICT foreign key.

use std::collections::BTreeMap;

use crate::matrix::quote_ident;
use crate::probe::catalog::Relation;
use crate::probe::rows::Synthesizer;

/// Foreign-key and trigger enforcement off while a prelude clears rows, where the connection
/// may do that (a superuser); elsewhere the deletes run with enforcement on, and a refusal
/// makes the probe inconclusive.
const REPLICA_ON: &str =
    "select set_config('session_replication_role', 'replica', true) where current_setting('is_superuser') = 'on'; ";
const REPLICA_OFF: &str =
    "select set_config('session_replication_role', 'origin', true) where current_setting('is_superuser') = 'on';";

/// `sql` with foreign-key and trigger enforcement off (`session_replication_role = replica`),
/// switched once: each switch empties the backend's plan cache, so a prelude joining several
/// clearing steps is wrapped as a whole.
pub(super) fn without_enforcement(sql: String) -> String {
    if sql.is_empty() {
        sql
    } else {
        format!("{REPLICA_ON}{sql}{REPLICA_OFF}")
    }
}

/// Superuser SQL removing rows that would collide with `values` on a unique key, with
/// enforcement off.
pub(crate) fn clear_conflicts(rel: &Relation, values: &BTreeMap<String, String>) -> String {
    without_enforcement(conflicts_sql(rel, values, "false"))
}

/// The deletes of `clear_conflicts`, sparing rows matching `keep`, with enforcement as it is.
pub(super) fn conflicts_sql(
    rel: &Relation,
    values: &BTreeMap<String, String>,
    keep: &str,
) -> String {
    let mut sql = String::new();
    let table = rel.table.qualified();
    let keys = std::iter::once((&rel.primary_key, "true"))
        .chain(rel.uniques.iter().map(|k| (k, "true")))
        .chain(rel.partial_uniques.iter().map(|(k, p)| (k, p.as_str())))
        .filter(|(k, _)| !k.is_empty());
    for (key, predicate) in keys {
        let Some(vals) = key
            .iter()
            .map(|c| values.get(c))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let cols: Vec<String> = key
            .iter()
            .map(|c| format!("t.{}", quote_ident(c)))
            .collect();
        let vals: Vec<&str> = vals.iter().map(|s| s.as_str()).collect();
        sql.push_str(&format!(
            "delete from {table} as t where ({}) = ({}) and ({predicate}) and not ({keep}); ",
            cols.join(", "),
            vals.join(", ")
        ));
    }
    for key in &rel.expression_uniques {
        let Some(vals) = key
            .columns
            .iter()
            .map(|c| Some(format!("{} as {}", values.get(c)?, quote_ident(c))))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let keys = &key.keys;
        sql.push_str(&format!(
            "delete from {table} as t where ({keys}) = (select {keys} from (select {}) as v) \
             and ({}) and not ({keep}); ",
            vals.join(", "),
            key.predicate.as_deref().unwrap_or("true")
        ));
    }
    sql
}

/// Superuser SQL removing the rows that reference the row(s) matching `pred`, so a DELETE
/// or a key change is judged by its policy, not by a RESTRICT foreign key. Rows a cascade
/// would delete are followed: their own restricting children go too.
pub(crate) fn clear_children(synth: &Synthesizer, rel: &Relation, pred: &str) -> String {
    without_enforcement(children_sql(synth, rel, pred))
}

/// The deletes of `clear_children`, with enforcement as it is.
pub(super) fn children_sql(synth: &Synthesizer, rel: &Relation, pred: &str) -> String {
    let mut sql = String::new();
    clear_children_into(synth, rel, pred, 0, &mut sql);
    sql
}

/// How many cascading foreign keys a delete is followed through to the rows that restrict it
/// (real schemas chain lots, runs, steps and entries four deep).
const MAX_CASCADE_DEPTH: usize = 6;

fn clear_children_into(
    synth: &Synthesizer,
    rel: &Relation,
    pred: &str,
    depth: usize,
    sql: &mut String,
) {
    let table = rel.table.qualified();
    for child in &synth.catalog.relations {
        if !child.kind.holds_rows() {
            continue;
        }
        for fk in child
            .foreign_keys
            .iter()
            .filter(|fk| fk.target == rel.table)
        {
            let cols: Vec<String> = fk.columns.iter().map(|c| quote_ident(c)).collect();
            let tcols: Vec<String> = fk
                .target_columns
                .iter()
                .map(|c| format!("t.{}", quote_ident(c)))
                .collect();
            let referencing = format!(
                "({}) in (select {} from {table} as t where {pred})",
                cols.join(", "),
                tcols.join(", ")
            );
            if fk.on_delete != 'c' {
                sql.push_str(&format!(
                    "delete from {} where {referencing}; ",
                    child.table.qualified()
                ));
            } else if depth < MAX_CASCADE_DEPTH
                && child.table != rel.table
                && synth
                    .states
                    .get(&child.table)
                    .is_some_and(|s| !s.rows.is_empty())
            {
                let inner = cols
                    .iter()
                    .map(|c| format!("t.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let child_pred = format!(
                    "({inner}) in (select {} from {table} as t where {pred})",
                    tcols.join(", ")
                );
                clear_children_into(synth, child, &child_pred, depth + 1, sql);
            }
        }
    }
}
