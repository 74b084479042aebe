//! `--db-url`: everything rlsgate does, `--migrate` included, happens in one transaction that
//! is rolled back, and nothing else persists either.
//!
//! Two things a rollback alone does not undo are handled here. Sequences: `nextval` and
//! `setval` are not transactional, so every sequence the user owns is first rewritten inside
//! the transaction (`alter sequence ... restart` gives it new storage, then `setval` puts back
//! its exact state); what the run does to it afterwards is rolled back with everything else.
//! Other sessions wait for those sequences until the run ends. Sequences the user cannot
//! alter are named in a warning. Transaction control in a migration file (`commit`,
//! `rollback`, `begin`, `prepare transaction`, ...) would end the run's transaction: such
//! statements are skipped with a warning, and after each file the transaction is checked to be
//! the same one.

use postgres::Client;

use super::{db, OpenError};

/// The run's open transaction on a `--db-url` database.
pub(super) struct RunTransaction {
    xact: String,
}

impl RunTransaction {
    /// Opens the transaction and makes the sequences' state part of it. `schemas`: the
    /// exposed schemas, whose unprotected sequences are worth a warning.
    pub(super) fn begin(
        client: &mut Client,
        schemas: &[String],
        warnings: &mut Vec<String>,
    ) -> Result<RunTransaction, OpenError> {
        client
            .batch_execute("begin")
            .map_err(db("opening the run's transaction"))?;
        let xact: String = client
            .query_one("select pg_current_xact_id()::text", &[])
            .map_err(db("opening the run's transaction"))?
            .get(0);
        let rows = client
            .query(
                "select c.oid::regclass::text, pg_has_role(c.relowner, 'USAGE'), n.nspname = any($1)
                 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where c.relkind = 'S' and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
                 order by 1",
                &[&schemas],
            )
            .map_err(db("listing sequences"))?;
        let mut sql = String::new();
        let mut unprotected = Vec::new();
        for row in rows {
            let name: String = row.get(0);
            if row.get::<_, bool>(1) {
                sql.push_str(&format!(
                    "alter sequence {name} restart; \
                     select setval({literal}, s.last_value, s.is_called) from {name} s;\n",
                    literal = crate::sql::quote_literal(&name)
                ));
            } else if row.get::<_, bool>(2) {
                unprotected.push(name);
            }
        }
        client
            .batch_execute(&sql)
            .map_err(db("making the sequences part of the run's transaction"))?;
        if !unprotected.is_empty() {
            warnings.push(format!(
                "--db-url: the sequence(s) {} belong to another role, so rlsgate cannot roll them back: \
                 rows it inserts may advance them",
                unprotected.join(", ")
            ));
        }
        Ok(RunTransaction { xact })
    }

    /// Fails when `file` ended the run's transaction (its effects may then persist).
    pub(super) fn check(&self, client: &mut Client, file: &str) -> Result<(), OpenError> {
        let now: String = client
            .query_one("select pg_current_xact_id()::text", &[])
            .map_err(db("checking the run's transaction"))?
            .get(0);
        if now == self.xact {
            return Ok(());
        }
        Err(OpenError::TransactionEnded {
            file: file.to_string(),
        })
    }
}
