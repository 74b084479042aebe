//! Running one migration file: in its own transaction (or savepoint), in as few round trips
//! as possible, locating the failing statement when it fails.

use std::time::Instant;

use postgres::error::ErrorPosition;
use postgres::Client;

use super::error::{about_the_real_database, migration_error};
use super::journal::Journal;
use super::plan::{plan, Emulation, Step};
use super::{db, Applied, OpenError};
use crate::project::SqlFile;
use crate::sql::{quote_literal, split};

#[derive(Clone, Copy)]
pub(super) enum Wrap {
    Transaction,
    Savepoint,
}

impl Wrap {
    fn open(self) -> &'static str {
        match self {
            Wrap::Transaction => "begin",
            Wrap::Savepoint => "savepoint rlsgate_migration",
        }
    }

    fn commit(self) -> &'static str {
        match self {
            Wrap::Transaction => "commit",
            Wrap::Savepoint => "release savepoint rlsgate_migration",
        }
    }

    fn rollback(self) -> &'static str {
        match self {
            Wrap::Transaction => "rollback",
            Wrap::Savepoint => "rollback to savepoint rlsgate_migration",
        }
    }
}

/// A failing statement: the error and its byte offset in the file, when known.
struct Failure {
    offset: Option<usize>,
    error: postgres::Error,
}

#[derive(Clone, Copy, PartialEq)]
enum Granularity {
    /// Each `Sql` step in one round trip.
    Batch,
    /// Statement by statement, inside the file's transaction, to find the failing one.
    OneByOne,
    /// Statement by statement, outside a transaction.
    Autocommit,
}

fn at_stmt(stmt: &split::Statement<'_>) -> impl Fn(postgres::Error) -> Failure {
    let offset = stmt.token_start;
    move |error| Failure {
        offset: Some(offset),
        error,
    }
}

/// A failure of `chunk` (at byte `base` of the file), placed by the error's position.
fn located(base: usize, chunk: &str) -> impl Fn(postgres::Error) -> Failure + '_ {
    move |error| {
        let offset = match error.as_db_error().and_then(|d| d.position()) {
            Some(ErrorPosition::Original(pos)) => Some(base + char_to_byte(chunk, *pos as usize)),
            _ => None,
        };
        Failure { offset, error }
    }
}

fn run_steps(
    client: &mut Client,
    file: &SqlFile,
    stmts: &[split::Statement<'_>],
    steps: &[Step<'_>],
    granularity: Granularity,
    journal: &mut Journal,
) -> Result<(), Failure> {
    let text = &file.text;
    for step in steps {
        match step {
            Step::Sql { start, end } => {
                if granularity == Granularity::Batch || stmts.is_empty() {
                    let chunk = &text[*start..*end];
                    client
                        .batch_execute(chunk)
                        .map_err(located(*start, chunk))?;
                } else {
                    for stmt in stmts.iter().filter(|s| s.start >= *start && s.start < *end) {
                        client.batch_execute(stmt.text).map_err(|e| {
                            let mut f = located(stmt.start, stmt.text)(e);
                            f.offset = f.offset.or(Some(stmt.token_start));
                            f
                        })?;
                    }
                }
            }
            Step::Privileged { stmt, code } => {
                client
                    .execute(
                        "select _rlsgate.privileged($1, current_setting('search_path'))",
                        &[code],
                    )
                    .map_err(at_stmt(stmt))?;
            }
            Step::StandIn {
                stmt,
                standin,
                schema,
            } => {
                let installed = client
                    .query_opt(
                        "select schema from _rlsgate.standins where name = $1",
                        &[&standin.name],
                    )
                    .map_err(at_stmt(stmt))?;
                if installed.is_some() {
                    continue;
                }
                let schema = match standin.schema(schema.as_deref()) {
                    Some(s) => s.to_string(),
                    None => client
                        .query_one("select coalesce(current_schema(), 'public')", &[])
                        .map_err(at_stmt(stmt))?
                        .get(0),
                };
                let mut script = standin.script(&schema);
                script.push_str(&format!(
                    "\ninsert into _rlsgate.standins values ({}, {});",
                    quote_literal(standin.name),
                    quote_literal(&schema)
                ));
                client
                    .execute(
                        "select _rlsgate.privileged($1, current_setting('search_path'))",
                        &[&script],
                    )
                    .map_err(at_stmt(stmt))?;
                journal.warnings.push(format!(
                    "{}:{}: extension {} is not available in this Postgres; using rlsgate's stand-in in schema {schema} ({})",
                    file.path.display(),
                    stmt.line,
                    standin.name,
                    standin.limits
                ));
            }
            Step::Skip {
                stmt,
                why,
                extension,
            } => {
                let at = format!("{}:{}", file.path.display(), stmt.line);
                if let Some(name) = extension {
                    journal.skipped.push((name.clone(), at.clone()));
                }
                journal.warnings.push(format!("{at}: {why}"));
            }
            Step::Standalone(stmt) => {
                let inside = granularity != Granularity::Autocommit;
                if inside {
                    client.batch_execute("commit").map_err(at_stmt(stmt))?;
                }
                client.batch_execute(stmt.text).map_err(at_stmt(stmt))?;
                if inside {
                    client.batch_execute("begin").map_err(at_stmt(stmt))?;
                }
            }
            Step::Rewritten { stmt, code, why } => {
                client.batch_execute(code).map_err(at_stmt(stmt))?;
                for why in why {
                    journal
                        .warnings
                        .push(format!("{}:{}: {why}", file.path.display(), stmt.line));
                }
            }
        }
    }
    Ok(())
}

/// Errors that only happen because the file runs in one transaction and that the file's
/// author cannot have meant: a new enum value used in the file that adds it. (Statements
/// that cannot run in a transaction block are planned as `Step::Standalone`.)
fn transaction_only(err: &postgres::Error) -> bool {
    matches!(err.as_db_error().map(|d| d.code().code()), Some("55P04"))
}

/// Runs one file in its own transaction, as the Supabase CLI does. A file that fails only
/// because of that transaction (a new enum value used in the file that adds it) is applied
/// statement by statement instead, with a warning.
pub(super) fn apply_file(
    client: &mut Client,
    file: &SqlFile,
    wrap: Wrap,
    emulation: Option<&Emulation>,
    later: &[SqlFile],
    journal: &mut Journal,
) -> Result<Applied, OpenError> {
    let started = Instant::now();
    let stmts = split::split(&file.text).unwrap_or_default();
    let steps = plan(file, &stmts, emulation);
    let mut notes = Journal::default();
    client
        .batch_execute(wrap.open())
        .map_err(db("starting a migration"))?;
    let outcome =
        run_steps(client, file, &stmts, &steps, Granularity::Batch, &mut notes).and_then(|()| {
            client
                .batch_execute(wrap.commit())
                .map_err(|error| Failure {
                    offset: None,
                    error,
                })
        });
    let failure = match outcome {
        Ok(()) => {
            journal.append(&mut notes);
            return Ok(Applied {
                path: file.path.clone(),
                elapsed: started.elapsed(),
            });
        }
        Err(f) => f,
    };
    let _ = client.batch_execute(wrap.rollback());
    crate::interrupt::check()?;
    let committed_part = steps.iter().any(|s| matches!(s, Step::Standalone(_)));
    let offset = failure.offset.or_else(|| {
        if committed_part {
            return None;
        }
        client.batch_execute(wrap.open()).ok()?;
        let found = run_steps(
            client,
            file,
            &stmts,
            &steps,
            Granularity::OneByOne,
            &mut Journal::default(),
        )
        .err()
        .and_then(|f| f.offset);
        let _ = client.batch_execute(wrap.rollback());
        found
    });
    if emulation.is_some() && transaction_only(&failure.error) {
        let mut retried = Journal::default();
        if run_steps(
            client,
            file,
            &stmts,
            &steps,
            Granularity::Autocommit,
            &mut retried,
        )
        .is_ok()
        {
            let (line, _) = split::line_col(&file.text, offset.unwrap_or(0));
            let message = failure
                .error
                .as_db_error()
                .map(|d| d.message().to_string())
                .unwrap_or_default();
            journal.warnings.push(format!(
                "{}:{line}: applied statement by statement, outside a transaction: the Supabase CLI runs each \
                 migration file in one transaction, where this file fails ({message}); split it into separate files",
                file.path.display()
            ));
            journal.append(&mut retried);
            return Ok(Applied {
                path: file.path.clone(),
                elapsed: started.elapsed(),
            });
        }
    }
    journal.append(&mut notes);
    let mut error = migration_error(file, offset, failure.error, later, journal);
    if emulation.is_none() {
        about_the_real_database(&mut error);
    }
    Err(error)
}

/// Postgres positions are 1-based character indexes.
fn char_to_byte(text: &str, pos: usize) -> usize {
    text.char_indices()
        .nth(pos.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(text.len())
}
