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

use super::plan::{words, Step};
use super::{db, OpenError};
use crate::sql::split;

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

/// On a `--db-url` database rlsgate emulates nothing: a note saying where a missing object
/// comes from on Supabase keeps that and drops what it says about rlsgate's stand-ins.
pub(super) fn about_the_real_database(error: &mut OpenError) {
    let OpenError::Migration(located) = error else {
        return;
    };
    let Some(note) = located.note.as_deref() else {
        return;
    };
    let Some(rest) = note.strip_prefix(super::error::ON_SUPABASE) else {
        return;
    };
    located.note = Some(format!(
        "this database has none; {}{}",
        super::error::ON_SUPABASE,
        without_emulation(rest)
    ));
}

/// `the pg_net extension (`create extension pg_net`; rlsgate has a stand-in)` ->
/// `the pg_net extension (`create extension pg_net`)`: the clauses about rlsgate removed.
fn without_emulation(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let Some(len) = rest[open..].find(')') else {
            break;
        };
        let group = &rest[open + 1..open + len];
        out.push_str(&rest[..open]);
        match group.find("rlsgate") {
            None => out.push_str(&rest[open..=open + len]),
            Some(at) => {
                let kept = group[..at].trim_end_matches([';', ' ']);
                if kept.is_empty() {
                    out.truncate(out.trim_end().len());
                } else {
                    out.push_str(&format!("({kept})"));
                }
            }
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
    for cut in ["; rlsgate", ", which its stand-in"] {
        if let Some(at) = out.find(cut) {
            out.truncate(at);
        }
    }
    out
}

/// A statement that would end or replace the run's transaction, skipped with the reason.
pub(super) fn transaction_control(stmt: split::Statement<'_>) -> Option<Step<'_>> {
    let w = words(stmt.code());
    let at = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    let ends = match (at(0), at(1)) {
        ("begin" | "start", _) => !matches!(at(0), "start") || at(1) == "transaction",
        ("commit" | "end" | "abort", _) => true,
        ("rollback", next) => next != "to",
        ("prepare", "transaction") => true,
        _ => false,
    };
    ends.then(|| Step::Skip {
        stmt,
        why: format!(
            "`{}` skipped: with --db-url everything, migrations included, stays in one transaction that is rolled back",
            stmt.code().split_whitespace().collect::<Vec<_>>().join(" ")
        ),
        extension: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skipped(sql: &str) -> bool {
        let stmts = split::split(sql).unwrap();
        transaction_control(stmts[0]).is_some()
    }

    #[test]
    fn notes_about_a_real_database_say_nothing_of_stand_ins() {
        assert_eq!(
            without_emulation(
                "the pg_net extension (`create extension pg_net`; rlsgate has a stand-in)"
            ),
            "the pg_net extension (`create extension pg_net`)"
        );
        assert_eq!(
            without_emulation("the pgsodium extension (rlsgate emulates only its schema)"),
            "the pgsodium extension"
        );
        assert_eq!(
            without_emulation("the Supabase platform; rlsgate emulates the common parts of this schema, not this object (open an issue)"),
            "the Supabase platform"
        );
        assert_eq!(
            without_emulation("the pg_graphql extension, enabled on every project"),
            "the pg_graphql extension, enabled on every project"
        );
    }

    #[test]
    fn statements_that_end_the_transaction_are_caught_and_nothing_else() {
        for sql in [
            "commit",
            "COMMIT;",
            "end",
            "rollback",
            "abort",
            "begin",
            "begin transaction isolation level serializable",
            "start transaction",
            "prepare transaction 'x'",
            "commit and chain",
        ] {
            assert!(skipped(sql), "{sql}");
        }
        for sql in [
            "rollback to savepoint a",
            "savepoint a",
            "release savepoint a",
            "create table commit_log (id int)",
            "select 1",
        ] {
            assert!(!skipped(sql), "{sql}");
        }
    }
}
