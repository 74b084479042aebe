//! Function mutants: widen who may call a function (EXECUTE to anon, to PUBLIC), swap SECURITY
//! INVOKER and DEFINER, remove a caller check (`if ... then raise ... end if` on the caller).
//! Each is applied in a transaction that is rolled back; the function's EXECUTE cells are read
//! again and its calls made again, so the specs' `[functions]`
//! lines, `reads` and `writes` are measured like the tables'.

use std::collections::HashMap;

use postgres::Client;

use super::{classify, key, CellKey, Mutant, MutantKind, MutantResult, Status};
use crate::matrix::{quote_ident, FunctionRef};
use crate::migrate::Database;
use crate::probe::calls::{self, CallOptions};
use crate::probe::functions::{self, FunctionAccess};
use crate::probe::{Prepared, ProbeError};
use crate::spec::{Identity, Specs};
use crate::verdict::{self, Cell};

/// What judging the function cells needs.
pub struct FunctionJudge<'a> {
    pub functions: &'a [FunctionAccess],
    pub schemas: &'a [String],
    pub specs: &'a Specs,
    pub identities: &'a [Identity],
    pub prepared: &'a Prepared,
    pub jobs: usize,
    pub call_timeout: Option<std::time::Duration>,
}

impl FunctionJudge<'_> {
    /// EXECUTE and CALL cells, with `sql` applied first (`None`: as migrated), of `only`
    /// (every callable function when `None`).
    pub fn cells(
        &self,
        db: &mut Database,
        sql: Option<&str>,
        only: Option<&FunctionRef>,
    ) -> Result<Vec<Cell>, ProbeError> {
        let db_error = |context: &'static str| {
            move |e: postgres::Error| ProbeError::Db {
                context: context.into(),
                message: crate::probe::describe(&e),
            }
        };
        let (open, close) = if db.is_external() {
            (
                "savepoint rlsgate_mutant",
                "rollback to savepoint rlsgate_mutant",
            )
        } else {
            ("begin", "rollback")
        };
        let mutated = match sql {
            Some(sql) => {
                let client = db.client();
                client
                    .batch_execute(open)
                    .map_err(db_error("opening a function mutant"))?;
                let loaded = client
                    .batch_execute(sql)
                    .map_err(db_error("applying the extra SQL"))
                    .and_then(|_| {
                        functions::load(client, self.schemas, self.identities)
                            .map_err(db_error("reading functions"))
                    });
                client
                    .batch_execute(close)
                    .map_err(db_error("closing a function mutant"))?;
                loaded?
            }
            None => self.functions.to_vec(),
        };
        let selected: Vec<FunctionAccess> = mutated
            .into_iter()
            .filter(|f| only.is_none_or(|o| &f.function == o))
            .collect();
        let run = calls::run(
            db,
            self.prepared,
            &selected,
            &CallOptions {
                schemas: self.schemas,
                only_identities: &[],
                jobs: self.jobs,
                timeout: self.call_timeout,
                extra_sql: sql,
            },
        )?;
        let mut cells = verdict::judge_functions(&selected, self.specs, self.identities, &[]);
        cells.extend(verdict::judge_calls(
            &run.observations,
            &selected,
            self.specs,
            &self.prepared.identities,
            &self.prepared.rows,
        ));
        Ok(cells)
    }
}

/// The mutants of every callable function.
pub fn generate(
    client: &mut Client,
    functions: &[FunctionAccess],
) -> Result<Vec<(FunctionRef, Mutant)>, postgres::Error> {
    let mut out = Vec::new();
    for f in functions.iter().filter(|f| f.callable) {
        let name = f.function.qualified();
        let shown = f.function.display_name();
        let mut push = |kind: MutantKind, sql: String| {
            out.push((
                f.function.clone(),
                Mutant {
                    id: String::new(),
                    kind,
                    table: None,
                    subject: shown.clone(),
                    sql,
                    tables: Vec::new(),
                    only_roles: Vec::new(),
                    except_roles: Vec::new(),
                    only_commands: Vec::new(),
                },
            ));
        };
        if !f.execute.get("anon").copied().unwrap_or(true) {
            push(
                MutantKind::GrantExecuteAnon,
                format!(
                    "grant usage on schema {} to anon; grant execute on function {name} to anon",
                    quote_ident(&f.function.schema)
                ),
            );
        }
        if !f.public_execute {
            push(
                MutantKind::GrantExecutePublic,
                format!("grant execute on function {name} to public"),
            );
        }
        push(
            MutantKind::SecuritySwap,
            format!(
                "alter function {name} {}",
                if f.security_definer {
                    "security invoker"
                } else {
                    "security definer"
                }
            ),
        );
        if let Some(sql) = without_caller_check(client, &f.function)? {
            push(MutantKind::NoCallerCheck, sql);
        }
    }
    Ok(out)
}

/// The function recreated without its first `if <a check of the caller> then raise ... end if;`
/// block, or `None` when it has none.
fn without_caller_check(
    client: &mut Client,
    function: &FunctionRef,
) -> Result<Option<String>, postgres::Error> {
    let row = client.query_one(
        "select pg_get_functiondef(p.oid), coalesce(p.prosrc, ''), l.lanname::text
         from pg_proc p join pg_language l on l.oid = p.prolang
         where p.oid = $1::text::regprocedure",
        &[&function.qualified()],
    )?;
    let (definition, source, language): (String, String, String) =
        (row.get(0), row.get(1), row.get(2));
    if language != "plpgsql" {
        return Ok(None);
    }
    let lower = source.to_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("if ").map(|i| i + from) {
        from = at + 3;
        if at > 0 && lower[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(then) = lower[at..].find(" then").map(|i| i + at) else {
            break;
        };
        let Some(end) = lower[then..].find("end if").map(|i| i + then) else {
            break;
        };
        let condition = &lower[at..then];
        let block = &lower[then..end];
        let asks_caller = [
            "auth.",
            "current_setting",
            "is_",
            "has_",
            "_member",
            "_owner",
            "role",
        ]
        .iter()
        .any(|w| condition.contains(w));
        if !asks_caller || !block.contains("raise") || block.contains(" if ") {
            continue;
        }
        let stop = lower[end..].find(';').map_or(end + 6, |i| end + i + 1);
        let stripped = format!("{}{}", &source[..at], &source[stop..]);
        return Ok(definition
            .contains(source.as_str())
            .then(|| definition.replacen(source.as_str(), &stripped, 1)));
    }
    Ok(None)
}

/// Every function mutant judged against the function cells as migrated (returned too).
pub fn run(
    db: &mut Database,
    judge: &FunctionJudge,
    mutants: Vec<(FunctionRef, Mutant)>,
    on_done: &(dyn Fn(usize) + Sync),
) -> Result<(Vec<Cell>, Vec<MutantResult>), ProbeError> {
    if mutants.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let base = judge.cells(db, None, None)?;
    let baseline: HashMap<CellKey, Cell> = base.iter().map(|c| (key(c), c.clone())).collect();
    let mut results = Vec::new();
    for (i, (function, mutant)) in mutants.into_iter().enumerate() {
        crate::interrupt::check().map_err(ProbeError::Interrupted)?;
        let result = match judge.cells(db, Some(&mutant.sql), Some(&function)) {
            Ok(mut cells) => {
                // a swap changes the subject's SECURITY DEFINER flag: compare as the same function
                for cell in &mut cells {
                    if let Some(b) = base
                        .iter()
                        .find(|b| b.subject.as_function() == cell.subject.as_function())
                    {
                        cell.subject = b.subject.clone();
                    }
                }
                classify(mutant, &baseline, &cells)
            }
            Err(ProbeError::Db { context, message }) if context == "applying the extra SQL" => {
                MutantResult {
                    mutant,
                    status: Status::Invalid,
                    cell: None,
                    error: Some(message),
                    beyond: None,
                }
            }
            Err(e) => return Err(e),
        };
        results.push(result);
        on_done(i + 1);
    }
    Ok((base, results))
}
