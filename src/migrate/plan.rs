//! How each statement of a migration file is carried out: plain SQL in batches, extension
//! statements as the superuser, stand-ins, skips and rewrites.

use std::collections::HashSet;

use postgres::Client;

use super::vector_indexes;
use crate::project::SqlFile;
use crate::sql::split;
use crate::supabase::extensions::{self, StandIn};

/// What the migrator knows about this cluster: which extensions it can really create.
pub(super) struct Emulation {
    available: HashSet<String>,
}

impl Emulation {
    pub(super) fn load(client: &mut Client) -> Result<Emulation, postgres::Error> {
        let rows = client.query("select name from pg_available_extensions", &[])?;
        Ok(Emulation {
            available: rows.iter().map(|r| r.get::<_, String>(0)).collect(),
        })
    }
}

/// How one statement of a migration is carried out.
pub(super) enum Step<'a> {
    /// A run of ordinary SQL: the file's bytes `start..end`.
    Sql { start: usize, end: usize },
    /// Run as the superuser, as Supabase's supautils does for `postgres`: `create/alter/drop
    /// extension`, and `create foreign data wrapper` (then usable by `postgres`).
    Privileged {
        stmt: split::Statement<'a>,
        code: String,
    },
    /// `create extension` of an extension this Postgres lacks, replaced by a stand-in.
    StandIn {
        stmt: split::Statement<'a>,
        standin: &'static StandIn,
        schema: Option<String>,
    },
    /// A statement that cannot run in a transaction block (`create index concurrently`,
    /// `vacuum`, ...): run on its own between the file's transactions, as the Supabase CLI
    /// does since v2.109.
    Standalone(split::Statement<'a>),
    /// Not run, with the reason (reported as a warning) and, for `create extension`, the
    /// extension skipped.
    Skip {
        stmt: split::Statement<'a>,
        why: String,
        extension: Option<String>,
    },
    /// Run as `code` instead, with the reasons (reported as warnings).
    Rewritten {
        stmt: split::Statement<'a>,
        code: String,
        why: Vec<String>,
    },
}

impl<'a> Step<'a> {
    fn privileged(stmt: split::Statement<'a>) -> Step<'a> {
        Step::Privileged {
            code: stmt.code().to_string(),
            stmt,
        }
    }
}

/// Lower-cased words of a statement, quotes removed, `(` split off.
pub(super) fn words(code: &str) -> Vec<String> {
    code.split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('"').to_ascii_lowercase())
        .collect()
}

fn classify<'a>(stmt: split::Statement<'a>, emu: &Emulation) -> Option<Step<'a>> {
    let w = words(stmt.code());
    let at = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    match (at(0), at(1)) {
        ("create", "extension") => {
            let mut i = 2;
            if at(i) == "if" {
                i += 3;
            }
            let name = at(i).to_string();
            let schema = w
                .iter()
                .position(|x| x == "schema")
                .and_then(|p| w.get(p + 1))
                .cloned();
            if emu.available.contains(&name) {
                Some(Step::privileged(stmt))
            } else if let Some(standin) = extensions::standin(&name) {
                Some(Step::StandIn {
                    stmt,
                    standin,
                    schema,
                })
            } else {
                let why = if extensions::SUPABASE_EXTENSIONS.contains(&name.as_str()) {
                    format!(
                        "extension {name} is not available in this Postgres and rlsgate has no stand-in for it: \
                         skipped, so the objects it would create are missing"
                    )
                } else {
                    format!(
                        "extension {name} is not one Supabase offers (`create extension {name}` fails there too) \
                         and is not available in this Postgres: skipped"
                    )
                };
                Some(Step::Skip {
                    stmt,
                    why,
                    extension: Some(name),
                })
            }
        }
        ("alter" | "drop", "extension") | ("comment", "on") => {
            if (at(0), at(1), at(2)) == ("comment", "on", "extension") {
                let name = at(3);
                return (!emu.available.contains(name)).then(|| Step::Skip {
                    stmt,
                    why: format!(
                        "comment on extension {name}, which is emulated by a stand-in: skipped"
                    ),
                    extension: None,
                });
            }
            if at(0) == "comment" {
                return None;
            }
            let names: Vec<&str> = w[2..]
                .iter()
                .map(String::as_str)
                .filter(|x| !matches!(*x, "if" | "exists" | "cascade" | "restrict"))
                .take_while(|x| at(0) == "drop" || !x.is_empty())
                .collect();
            let names: Vec<&str> = if at(0) == "alter" {
                names.into_iter().take(1).collect()
            } else {
                names
                    .iter()
                    .flat_map(|n| n.split(','))
                    .filter(|n| !n.is_empty())
                    .collect()
            };
            match names.iter().find(|n| !emu.available.contains(**n)) {
                Some(n) => Some(Step::Skip {
                    stmt,
                    why: format!(
                        "{} extension {n}: it is emulated by a stand-in (or missing), skipped",
                        at(0)
                    ),
                    extension: None,
                }),
                None => Some(Step::privileged(stmt)),
            }
        }
        ("create", "foreign") if at(2) == "data" => {
            let name = stmt
                .code()
                .split_whitespace()
                .nth(4)
                .unwrap_or_default()
                .trim_end_matches(';')
                .to_string();
            Some(Step::Privileged {
                code: format!(
                    "{};\ngrant usage on foreign data wrapper {name} to postgres with grant option",
                    stmt.code().trim_end().trim_end_matches(';')
                ),
                stmt,
            })
        }
        _ if outside_transaction(&w) => Some(Step::Standalone(stmt)),
        ("import", "foreign") => Some(Step::Skip {
            stmt,
            why: "import foreign schema skipped: rlsgate reaches no remote server, so there is nothing to import \
                  (the foreign tables it would create are missing)"
                .to_string(),
            extension: None,
        }),
        ("do", _) if !emu.available.contains("vector") => {
            let (code, removed) = vector_indexes::without_vector_indexes(stmt.code())?;
            let why = removed
                .into_iter()
                .map(|(method, name)| {
                    format!(
                        "{method} index {name} (in a DO block) skipped: the vector stand-in has no index methods (indexes do not change access)"
                    )
                })
                .collect();
            Some(Step::Rewritten { stmt, code, why })
        }
        ("create", _) if !emu.available.contains("vector") => {
            let using = w.iter().position(|x| x == "using")?;
            let method = w.get(using + 1)?;
            let is_index = w.iter().take(using).any(|x| x == "index");
            (is_index && (method == "hnsw" || method == "ivfflat")).then(|| Step::Skip {
                stmt,
                why: format!(
                    "{method} index skipped: the vector stand-in has no index methods (indexes do not change access)"
                ),
                extension: None,
            })
        }
        _ => None,
    }
}

/// Statements Postgres refuses inside a transaction block, which the Supabase CLI runs
/// outside the file's batch.
fn outside_transaction(w: &[String]) -> bool {
    let at = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    match (at(0), at(1)) {
        ("create", "index") | ("drop", "index") => at(2) == "concurrently",
        ("create", "unique") => at(2) == "index" && at(3) == "concurrently",
        ("reindex", _) => w.iter().any(|x| x == "concurrently"),
        ("vacuum", _) | ("cluster", _) => true,
        ("alter", "system") => true,
        _ => false,
    }
}

/// The file as steps: ordinary SQL runs in as few round trips as possible; extension
/// statements (and vector indexes without pgvector) are singled out.
pub(super) fn plan<'a>(
    file: &'a SqlFile,
    stmts: &[split::Statement<'a>],
    emu: Option<&Emulation>,
) -> Vec<Step<'a>> {
    let text = &file.text;
    let mut steps = Vec::new();
    let mut cursor = 0;
    {
        for stmt in stmts {
            let step = match emu {
                Some(emu) => classify(*stmt, emu),
                None => transaction_control(*stmt),
            };
            if let Some(step) = step {
                if text[cursor..stmt.start].trim().is_empty() {
                    // nothing between the previous special statement and this one
                } else {
                    steps.push(Step::Sql {
                        start: cursor,
                        end: stmt.start,
                    });
                }
                steps.push(step);
                cursor = stmt.end();
                if text[cursor..].starts_with(';') {
                    cursor += 1;
                }
            }
        }
    }
    if !text[cursor..].trim().is_empty() || steps.is_empty() {
        steps.push(Step::Sql {
            start: cursor,
            end: text.len(),
        });
    }
    steps
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
