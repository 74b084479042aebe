//! A setup row a trigger refuses (an app rule such as "the coach must be assigned to this
//! athlete", an append-only table) is placed the way a data-only seed loads
//! (`supabase db dump --data-only`): with `session_replication_role = replica`, so no
//! ordinary trigger fires. CHECK, NOT NULL and unique constraints still hold; foreign keys are
//! enforced by triggers, so the row's references are checked here instead, and a row pointing
//! at nothing is taken back. Probes never run this way: their statements fire every trigger.

use postgres::error::DbError;
use postgres::Client;

use super::key_expr;
use crate::matrix::quote_ident;
use crate::probe::catalog::Relation;
use crate::probe::values::literal;

/// The error came from a trigger function (`raise exception` in PL/pgSQL, or a statement it
/// runs), not from a constraint or the row's values.
pub(super) fn raised_by_trigger(db: &DbError) -> bool {
    let code = db.code().code();
    raised_by_rule(db)
        || (!code.starts_with("23")
            && !code.starts_with("22")
            && db.where_().is_some_and(|w| w.contains("PL/pgSQL function")))
}

/// A PL/pgSQL `raise`, whatever SQLSTATE it gives (`raise exception using errcode =
/// '23514'` names no constraint of the table).
pub(super) fn raised_by_rule(db: &DbError) -> bool {
    db.where_()
        .is_some_and(|w| w.contains("PL/pgSQL function") && w.contains(" at RAISE"))
}

/// `session_replication_role` for the next statements of the current savepoint.
pub(super) fn set_replica(client: &mut Client, on: bool) -> Result<(), String> {
    let role = if on { "replica" } else { "origin" };
    client
        .batch_execute(&format!("set local session_replication_role = {role}"))
        .map_err(|e| crate::probe::describe(&e))
}

/// Every foreign key of the row of `rel` printed `key` by [`key_expr`] references a row
/// that exists (or holds a NULL, as MATCH SIMPLE allows).
pub(super) fn references_hold(client: &mut Client, rel: &Relation, key: &str) -> bool {
    if rel.foreign_keys.is_empty() {
        return true;
    }
    let conditions: Vec<String> = rel
        .foreign_keys
        .iter()
        .map(|fk| {
            let nulls: Vec<String> = fk
                .columns
                .iter()
                .map(|c| format!("t.{} is null", quote_ident(c)))
                .collect();
            let same: Vec<String> = fk
                .columns
                .iter()
                .zip(&fk.target_columns)
                .map(|(c, tc)| format!("x.{} = t.{}", quote_ident(tc), quote_ident(c)))
                .collect();
            format!(
                "({} or exists (select 1 from {} x where {}))",
                nulls.join(" or "),
                fk.target.qualified(),
                same.join(" and ")
            )
        })
        .collect();
    let sql = format!(
        "select {} from {} t where {} = {}",
        conditions.join(" and "),
        rel.table.qualified(),
        key_expr(rel),
        literal(key)
    );
    matches!(client.query_opt(&sql, &[]), Ok(Some(row)) if row.get::<_, Option<bool>>(0) == Some(true))
}
