//! A second look at equivalent mutants of write policies. The probes' UPDATE and DELETE
//! filter on a row's key, so Postgres also applies the SELECT policies and a widened write
//! policy stays invisible. An unfiltered write (`delete from T`, PostgREST `DELETE /T` with no
//! filter) reads nothing, so only the write policy applies: this counts what it reaches.

use postgres::Client;

use super::{MutantKind, MutantResult, Status};
use crate::matrix::{quote_ident, Command, Scope};
use crate::probe::cells::{clear_children, touch_column};
use crate::probe::rows::Synthesizer;
use crate::probe::values::{json_literal, literal};
use crate::probe::{describe, Prepared, ProbeError};
use crate::spec::{Identity, Specs};

/// Adds to each equivalent `using-true` / `check-true` mutant of an UPDATE or DELETE policy
/// what an unfiltered write reaches beyond the spec, when it does.
pub fn second_look(
    client: &mut Client,
    prepared: &Prepared,
    specs: &Specs,
    results: &mut [MutantResult],
) -> Result<(), ProbeError> {
    let mut synth = Synthesizer::new(
        &prepared.catalog,
        &prepared.model,
        &prepared.identities,
        &prepared.fillers,
    );
    synth.states = prepared.states.clone();
    for r in results.iter_mut() {
        let m = &r.mutant;
        if r.status != Status::Equivalent
            || !matches!(m.kind, MutantKind::UsingTrue | MutantKind::CheckTrue)
        {
            continue;
        }
        let (Some(table), [command]) = (&m.table, &m.only_commands[..]) else {
            continue;
        };
        let (Some(rel), Some(state), Some(rows)) = (
            prepared.catalog.get(table),
            prepared.states.get(table),
            prepared.rows.iter().find(|t| &t.table == table),
        ) else {
            continue;
        };
        let q = table.qualified();
        client
            .batch_execute("begin")
            .map_err(db("opening a second look"))?;
        let found = (|| -> Result<Option<String>, ProbeError> {
            client
                .batch_execute(&m.sql)
                .map_err(db("applying the extra SQL"))?;
            for id in prepared.identities.iter().filter(|i| i.owns_rows()) {
                let Some(exp) = specs.expectation(table, id) else {
                    continue;
                };
                let Some(scope) = exp.scope(*command) else {
                    continue;
                };
                let allowed = crate::verdict::resolve(&scope, rows, id);
                let allowed_rows = state
                    .rows
                    .iter()
                    .filter(|r| allowed.contains(&r.label))
                    .count();
                let own = state.rows.iter().find(|r| r.is_owned_by(&id.name));
                let other = prepared
                    .identities
                    .iter()
                    .find(|o| o.owns_rows() && o.name != id.name);
                let (prelude, statement, limit, what) =
                    match (command, m.kind, state.model.owner_column()) {
                        (Command::Delete, _, _) if scope != Scope::All => (
                            clear_children(&synth, rel, "true"),
                            format!("delete from {q}"),
                            allowed_rows,
                            "deletes",
                        ),
                        (Command::Update, MutantKind::CheckTrue, Some(col)) => {
                            let (Some(other), true) = (other, own.is_some()) else {
                                continue;
                            };
                            if exp.expects_transfer() {
                                continue;
                            }
                            let ty = rel
                                .column(col)
                                .map_or("uuid".to_string(), |c| c.sql_type.clone());
                            (
                                String::new(),
                                format!(
                                    "update {q} set {} = {}::{ty}",
                                    quote_ident(col),
                                    literal(other.sub.as_deref().unwrap_or_default())
                                ),
                                0,
                                "hands to another owner",
                            )
                        }
                        (Command::Update, MutantKind::UsingTrue, _) if scope != Scope::All => {
                            let updatable = prepared
                                .updatable
                                .get(&(table.clone(), id.role.clone()))
                                .map_or(&[][..], |c| &c[..]);
                            let col = touch_column(rel, &state.model, updatable);
                            let Some(value) = own.and_then(|r| r.json.get(&col)) else {
                                continue;
                            };
                            let ty = rel
                                .column(&col)
                                .map_or("text".to_string(), |c| c.sql_type.clone());
                            let value = json_literal(value);
                            (
                                String::new(),
                                format!("update {q} set {} = {value}::{ty}", quote_ident(&col)),
                                allowed_rows,
                                "updates",
                            )
                        }
                        _ => continue,
                    };
                let n = unfiltered(client, id, &prelude, &statement)?;
                if n > limit as i64 {
                    return Ok(Some(format!(
                        "`{statement}` as {} {what} {n} row(s); the spec allows {} {} = {}",
                        id.name,
                        if limit == 0 {
                            "none:".to_string()
                        } else {
                            format!("{limit}:")
                        },
                        command,
                        crate::spec::specs::scope_text(&scope),
                    )));
                }
            }
            Ok(None)
        })();
        let _ = client.batch_execute("rollback");
        r.beyond = found?;
    }
    Ok(())
}

fn db(context: &'static str) -> impl Fn(postgres::Error) -> ProbeError {
    move |e| ProbeError::Db {
        context: context.to_string(),
        message: describe(&e),
    }
}

/// Rows the statement reached as `id` (0 when it failed).
fn unfiltered(
    client: &mut Client,
    id: &Identity,
    prelude: &str,
    statement: &str,
) -> Result<i64, ProbeError> {
    let rows = client
        .query(
            "select ok, n from pg_temp.rlsgate_probe($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &id.role,
                &id.claims.to_string(),
                &id.sub.clone().unwrap_or_default(),
                &id.role,
                &id.email.clone().unwrap_or_default(),
                &vec![prelude],
                &vec![statement],
                &vec![false],
            ],
        )
        .map_err(|e| ProbeError::Db {
            context: "an unfiltered write".into(),
            message: describe(&e),
        })?;
    Ok(rows
        .first()
        .filter(|r| r.get::<_, bool>(0))
        .map_or(0, |r| r.get::<_, i64>(1)))
}
