use std::collections::BTreeSet;
use std::io::Write;

use anyhow::Context;
use postgres::Client;

use crate::cli::{ExportArgs, ExportTarget, GlobalArgs, PgtapArgs};
use crate::commands::report::{default_jobs, start, Session};
use crate::matrix::{Command, TableRef};
use crate::probe::catalog::Catalog;
use crate::probe::cells;
use crate::probe::rows::key_expr;
use crate::report::pgtap::{self, About, Case, Check, Expect, Impersonation, Rows, TestFile};
use crate::spec::Identity;
use crate::terminal::Progress;
use crate::verdict;
use crate::Status;

pub fn run(global: &GlobalArgs, args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    match &args.target {
        ExportTarget::Pgtap(a) => pgtap_export(global, a, out),
    }
}

fn pgtap_export(
    global: &GlobalArgs,
    args: &PgtapArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Status> {
    let progress = Progress::new(global.quiet);
    let Session {
        identities,
        specs,
        mut db,
        prepared,
        functions,
        ..
    } = start(global, &[], default_jobs(), &progress)?;
    progress.set("writing pgTAP tests");
    let rows = placed_rows(db.client(), &prepared.catalog, &prepared, &identities)
        .context("reading the placed rows")?;
    let setup: Vec<String> = identities
        .iter()
        .flat_map(|id| {
            id.setup.iter().map(move |sql| {
                sql.replace("{sub}", id.sub.as_deref().unwrap_or_default())
                    .replace("{email}", id.email.as_deref().unwrap_or_default())
                    .replace("{name}", &id.name)
            })
        })
        .collect();
    let impersonations: Vec<Impersonation> = identities
        .iter()
        .map(|id| Impersonation {
            name: id.name.clone(),
            role: id.role.clone(),
            claims: id.claims.to_string(),
            sub: id.sub.clone().unwrap_or_default(),
            email: id.email.clone().unwrap_or_default(),
        })
        .collect();
    let synth = prepared.synthesizer(&identities);
    let owners: Vec<&Identity> = identities.iter().filter(|i| i.owns_rows()).collect();
    let mut seq = 0;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let mut written = Vec::new();
    for table_rows in &prepared.rows {
        let Some(rel) = prepared.catalog.get(&table_rows.table) else {
            continue;
        };
        let mut notes = Vec::new();
        let mut cases = Vec::new();
        let mut sources = BTreeSet::new();
        if !rel.kind.holds_rows() {
            continue;
        }
        if rel.primary_key.is_empty() {
            notes.push(format!(
                "{} has no primary key: rows cannot be named across databases, no test written",
                rel.table
            ));
        }
        let state = synth.states.get(&rel.table);
        let placed: Vec<String> = state
            .map(|s| s.rows.iter().map(|r| r.key.clone()).collect())
            .unwrap_or_default();
        for (index, id) in identities.iter().enumerate() {
            let Some(exp) = specs.expectation(&rel.table, id) else {
                continue;
            };
            if rel.primary_key.is_empty() {
                continue;
            }
            sources.insert(exp.source.file.display().to_string());
            let updatable = prepared
                .updatable
                .get(&(rel.table.clone(), id.role.clone()))
                .map_or(&[][..], |c| &c[..]);
            let plan = cells::plan(&synth, rel, state, id, &owners, updatable, &mut seq);
            let row_keys = |labels: &BTreeSet<String>| -> Vec<String> {
                state
                    .map(|s| {
                        s.rows
                            .iter()
                            .filter(|r| labels.contains(&r.label))
                            .map(|r| r.key.clone())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            // Unfiltered probes are judged by before/after snapshots, which pgTAP cannot express.
            // A copy of an own row is tried only when the synthesized one was refused: a
            // fallback, not an expectation of its own.
            let exportable = |p: &&crate::probe::cells::PlannedProbe| {
                p.unbuildable.is_none()
                    && p.check.is_none()
                    && p.target != crate::matrix::insert_target::OWN_COPY
                    && !crate::matrix::shape::is_shape(&p.target)
            };
            for probe in plan.probes.iter().filter(exportable) {
                let table = rel.table.display_name();
                let expect = match probe.command {
                    Command::Select => {
                        let Some(scope) = &exp.select else { continue };
                        let labels = verdict::resolve(scope, table_rows, id);
                        Some((
                            Expect::Keys {
                                placed: placed.clone(),
                                expected: row_keys(&labels),
                            },
                            format!(
                                "{}: select on {table} sees {}",
                                id.name,
                                crate::spec::specs::scope_text(scope)
                            ),
                        ))
                    }
                    Command::Insert => exp.insert.clone().map(|scope| {
                        let allowed =
                            verdict::insert_expects(&scope, &probe.target, table_rows, id);
                        (
                            Expect::Writes(allowed),
                            format!(
                                "{}: insert into {table} ({} row) is {}",
                                id.name,
                                probe.target,
                                if allowed { "allowed" } else { "refused" }
                            ),
                        )
                    }),
                    Command::Update if probe.target == "transfer" => {
                        exp.update.as_ref().map(|_| {
                            let allowed = exp.expects_transfer();
                            (
                                Expect::Writes(allowed),
                                format!(
                                    "{}: handing an own row of {table} to another owner is {}",
                                    id.name,
                                    if allowed { "allowed" } else { "refused" }
                                ),
                            )
                        })
                    }
                    Command::Update | Command::Delete => exp.scope(probe.command).map(|scope| {
                        let allowed =
                            verdict::resolve(&scope, table_rows, id).contains(&probe.target);
                        (
                            Expect::Writes(allowed),
                            format!(
                                "{}: {} of row {} in {table} is {}",
                                id.name,
                                probe.command,
                                probe.target,
                                if allowed { "allowed" } else { "refused" }
                            ),
                        )
                    }),
                };
                let Some((expect, description)) = expect else {
                    continue;
                };
                cases.push(Case {
                    identity: index,
                    description,
                    check: Check::Probe {
                        prelude: probe.prelude.clone(),
                        statement: probe.statement.clone(),
                        expect,
                    },
                });
            }
        }
        if cases.is_empty() {
            continue;
        }
        let file = TestFile {
            about: About::Relation(rel.table.clone()),
            specs: sources.into_iter().collect(),
            identities: impersonations.clone(),
            rows: rows.clone(),
            setup: setup.clone(),
            cases,
            notes,
        };
        written.push(write_file(&args.dir, &file)?);
    }
    let function_cases: Vec<Case> = functions
        .iter()
        .filter(|f| f.callable)
        .flat_map(|f| {
            identities.iter().enumerate().filter_map(|(index, id)| {
                let allow = specs.functions().expectation(f, id)?.allow;
                Some(Case {
                    identity: index,
                    description: format!(
                        "{} (role {}) {} call {}",
                        id.name,
                        id.role,
                        if allow { "may" } else { "may not" },
                        f.function.display_name()
                    ),
                    check: Check::Execute {
                        function: f.function.clone(),
                        allow,
                    },
                })
            })
        })
        .collect();
    if !function_cases.is_empty() {
        let file = TestFile {
            about: About::Functions,
            specs: Vec::new(),
            identities: impersonations,
            rows: Vec::new(),
            setup: Vec::new(),
            cases: function_cases,
            notes: Vec::new(),
        };
        written.push(write_file(&args.dir, &file)?);
    }
    progress.finish();
    if written.is_empty() {
        writeln!(
            out,
            "no spec covers a table with rows: nothing written to {}",
            args.dir.display()
        )?;
        return Ok(Status::Findings);
    }
    for (path, n) in &written {
        writeln!(out, "wrote {} ({n} tests)", path.display())?;
    }
    Ok(Status::Clean)
}

/// Writes one test file into `dir`: its path and how many tests it holds.
fn write_file(
    dir: &std::path::Path,
    file: &TestFile,
) -> anyhow::Result<(std::path::PathBuf, usize)> {
    let path = dir.join(file.file_name());
    let mut buf = Vec::new();
    pgtap::write(file, &mut buf)?;
    std::fs::write(&path, buf).with_context(|| format!("writing {}", path.display()))?;
    Ok((path, file.cases.len()))
}

/// The rows the probes use, as JSON: the identities' auth users, then every placed row.
fn placed_rows(
    client: &mut Client,
    catalog: &Catalog,
    prepared: &crate::probe::Prepared,
    identities: &[Identity],
) -> Result<Vec<Rows>, postgres::Error> {
    let subs: Vec<String> = identities
        .iter()
        .filter(|i| i.owns_rows())
        .filter_map(|i| i.sub.clone())
        .collect();
    let mut out = Vec::new();
    for (table, column) in [("users", "id"), ("identities", "user_id")] {
        let rows = client
            .query(
                &format!("select to_jsonb(t)::text from auth.{table} t where t.{column}::text = any($1) order by 1"),
                &[&subs],
            )
            .map(|rs| rs.iter().map(|r| r.get::<_, String>(0)).collect())
            .unwrap_or_default();
        out.push(Rows {
            table: TableRef::new("auth", table),
            rows,
        });
    }
    for table in parents_first(catalog, prepared.states.keys().collect()) {
        let (Some(rel), Some(state)) = (catalog.get(table), prepared.states.get(table)) else {
            continue;
        };
        let keys: Vec<String> = state.rows.iter().map(|r| r.key.clone()).collect();
        if keys.is_empty() || rel.primary_key.is_empty() {
            continue;
        }
        let rows = client.query(
            &format!(
                "select to_jsonb(t)::text from {} t where {} = any($1) order by 1",
                table.qualified(),
                key_expr(rel)
            ),
            &[&keys],
        )?;
        out.push(Rows {
            table: table.clone(),
            rows: rows.iter().map(|r| r.get(0)).collect(),
        });
    }
    Ok(out)
}

/// Tables ordered so that every table comes after the tables its foreign keys reference.
fn parents_first<'a>(catalog: &Catalog, mut pending: Vec<&'a TableRef>) -> Vec<&'a TableRef> {
    pending.sort();
    let mut done: Vec<&TableRef> = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|t| {
            catalog.get(t).is_none_or(|rel| {
                rel.foreign_keys.iter().all(|fk| {
                    &fk.target == *t || done.contains(&&fk.target) || !pending.contains(&&fk.target)
                })
            })
        });
        done.push(pending.remove(ready.unwrap_or(0)));
    }
    done
}
