use std::io::Write;
use std::time::Instant;

use anyhow::Context;

use crate::cli::{Also, GlobalArgs, TestArgs, TestFormat};
use crate::lint::MigratedCatalog;
use crate::matrix::{Observation, TableRef, TableRows};
use crate::migrate::{Database, OpenOptions};
use crate::probe::functions::FunctionAccess;
use crate::probe::{self, Matrix, ProbeOptions};
use crate::project::Project;
use crate::report::matrix::{self as report, Format, LintFinding, RunMeta};
use crate::spec::{self, Identity, Specs};
use crate::terminal::Progress;
use crate::verdict::presumption::{self, Facts, Ground};
use crate::verdict::{self, presume, Cell, Summary};
use crate::Status;

/// Everything `rlsgate test` (and the commands built on it) learns in one run.
pub struct Run {
    pub project: Project,
    pub identities: Vec<Identity>,
    pub specs: Specs,
    pub matrix: Matrix,
    /// The table and view cells, then one EXECUTE cell per callable function x identity (none
    /// under `--table`, and only in share 1 of `--partition`).
    pub cells: Vec<Cell>,
    /// Every function of the exposed schemas with who may execute it.
    pub functions: Vec<FunctionAccess>,
    pub meta: RunMeta,
}

pub fn run(global: &GlobalArgs, args: &TestArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let files = args.output.iter().map(|p| (args.format, p.as_path()));
    super::outputs::check(files.chain(args.also.iter().map(|a| (a.format, a.path.as_path()))))?;
    let run = judge_run(global, args, true)?;
    let t_report = Instant::now();
    let status = write_report(
        args.format,
        args.output.as_deref(),
        &args.also,
        &run.cells,
        &run.meta,
        out,
    )?;
    crate::terminal::timing("report", t_report);
    Ok(status)
}

/// Writes the matrix report (to `output`, or `out`) and each `--also` report, and gives the
/// gate's verdict: failed, inconclusive or (unless allowed) unspecified cells, or a catalog
/// lint error, fail it.
pub(crate) fn write_report(
    format: TestFormat,
    output: Option<&std::path::Path>,
    also: &[Also<TestFormat>],
    cells: &[Cell],
    meta: &RunMeta,
    out: &mut dyn Write,
) -> anyhow::Result<Status> {
    let summary = Summary::of(cells);
    let files = output
        .map(|path| (format, path))
        .into_iter()
        .chain(also.iter().map(|a| (a.format, a.path.as_path())));
    for (format, path) in super::outputs::check(files)? {
        super::outputs::write(path, |file| {
            report::write_file(report_format(format), cells, &summary, meta, file)
        })?;
    }
    if output.is_none() {
        report::write(report_format(format), cells, &summary, meta, out)?;
    }
    let lint_errors = meta.lint.iter().any(|f| f.is_error());
    Ok(match verdict::status(&summary, meta.allow_unspecified) {
        Status::Clean if lint_errors => Status::Findings,
        status => status,
    })
}

fn report_format(format: TestFormat) -> Format {
    match format {
        TestFormat::Human => Format::Table,
        TestFormat::Json => Format::Json,
        TestFormat::Junit => Format::Junit,
        TestFormat::Markdown => Format::Markdown,
        TestFormat::Sarif => Format::Sarif,
        TestFormat::Github => Format::Github,
    }
}

/// Probes and judges as `rlsgate test` does, without placing the findings in the repository.
pub fn probe_and_judge(global: &GlobalArgs, args: &TestArgs) -> anyhow::Result<Run> {
    judge_run(global, args, false)
}

/// `locate`: also trace what opens each cell wider than declared, and place every cell that
/// is not a pass at its spec line and migration statements (`meta.places`).
fn judge_run(global: &GlobalArgs, args: &TestArgs, locate: bool) -> anyhow::Result<Run> {
    let started = Instant::now();
    let project = Project::load(&global.project)?;
    let (identities, specs, fixtures) = load_declarations(&project)?;
    for name in &args.identities {
        if !identities.iter().any(|i| &i.name == name) {
            let known: Vec<&str> = identities.iter().map(|i| i.name.as_str()).collect();
            anyhow::bail!(
                "--identity {name}: no such identity (known: {})",
                known.join(", ")
            );
        }
    }

    let progress = Progress::new(global.quiet);
    let timeouts = global.timeouts()?;
    let opts = OpenOptions {
        db_url: global.db_url.clone(),
        no_cache: global.no_cache,
        timeouts,
        migrate_external: args.migrate,
        seed: !args.no_seed,
    };
    let t_open = Instant::now();
    let mut db = Database::open(&project, &opts, &progress)?;
    crate::terminal::emulation_warnings(&db.warnings);
    crate::terminal::timing("start + migrate", t_open);
    if let Some(c) = db.cluster() {
        let how = if c.report.template_cached {
            "template copy"
        } else {
            "initdb + bootstrap"
        };
        crate::terminal::took(&format!("of which cluster start ({how})"), c.report.elapsed);
    }
    let t_catalog = Instant::now();
    let schemas = exposed_schemas(&project);
    let catalog = probe::load_catalog(db.client(), &schemas)?;
    let relations: Vec<TableRef> = catalog.exposed_tables();
    validate_declarations(&mut db, &project, &specs, &catalog, &identities, &fixtures)?;
    check_table_filter(&args.tables, &relations, &schemas)?;
    let functions = load_functions(&mut db, &schemas, &identities, &specs)?;
    crate::terminal::timing("catalog + spec validation", t_catalog);

    progress.set("placing rows");
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(2)
    });
    let probe_options = ProbeOptions {
        schemas: &schemas,
        identities: &identities,
        fixtures: &fixtures,
        specs: &specs,
        tables: &args.tables,
        only_identities: &args.identities,
        partition: args.partition.map(|p| (p.index, p.total)),
        jobs,
    };
    let t_probe = Instant::now();
    // On our own cluster the catalog lint reads the migrated catalog on a connection of its
    // own while the rows are placed; a --db-url database has one transaction for both.
    let (linted, mut prepared) = match db.extra_connection() {
        Some(client) => {
            let mut client = client.context("opening a connection for the catalog lint")?;
            let project = &project;
            std::thread::scope(|scope| {
                let lint = scope.spawn(move || catalog_lint(project, &mut client));
                let prepared = probe::prepare(&mut db, &probe_options, Some(catalog));
                let lint = lint.join().expect("catalog lint thread");
                anyhow::Ok((lint?, prepared?))
            })?
        }
        None => {
            let lint = catalog_lint(&project, db.client())?;
            (
                lint,
                probe::prepare(&mut db, &probe_options, Some(catalog))?,
            )
        }
    };
    crate::terminal::timing("synthesize + catalog lint", t_probe);
    let (lint, catalog) = linted;
    validate_scopes(&specs, &prepared)?;
    progress.set("probing");
    let t_observe = Instant::now();
    let observations = probe::observe_all(
        &mut db,
        &prepared,
        &probe::Execution {
            only_identities: &args.identities,
            jobs,
            extra_sql: None,
        },
    )?;
    crate::terminal::timing(&format!("probe ({} cells)", observations.len()), t_observe);
    let gates_functions = args.tables.is_empty() && args.partition.is_none_or(|p| p.index == 1);
    let t_calls = Instant::now();
    let calls = if gates_functions {
        progress.set("calling functions");
        probe::calls::run(
            &mut db,
            &prepared,
            &functions,
            &probe::calls::CallOptions {
                schemas: &schemas,
                only_identities: &args.identities,
                jobs,
                timeout: timeouts.call,
                extra_sql: None,
            },
        )?
    } else {
        probe::calls::CallsRun::default()
    };
    crate::terminal::timing(
        &format!(
            "call probes ({} function x identity)",
            calls.observations.len()
        ),
        t_calls,
    );

    let t_judge = Instant::now();
    let mut cells = judge_observations(&observations, &prepared.rows, &prepared.identities, &specs);
    if gates_functions {
        cells.extend(verdict::judge_functions(
            &functions,
            &specs,
            &identities,
            &args.identities,
        ));
        cells.extend(verdict::judge_calls(
            &calls.observations,
            &functions,
            &specs,
            &prepared.identities,
            &prepared.rows,
        ));
        // each function's EXECUTE cells, then its CALL cells (as `rlsgate merge` groups them)
        let rank = |c: &Cell| {
            c.subject
                .as_function()
                .and_then(|f| functions.iter().position(|g| &g.function == f))
        };
        cells.sort_by_key(|c| rank(c).map_or(0, |r| r + 1));
    }
    let members = tenant_members(&prepared);
    let facts = Facts::read(
        &catalog.model,
        &catalog.provenance,
        &prepared.rows,
        &functions,
    );
    presume(
        &mut cells,
        &Ground {
            observations: &observations,
            rows: &prepared.rows,
            identities: &prepared.identities,
            members: &members,
            facts: &facts,
        },
    );
    crate::terminal::timing("judge", t_judge);
    let t_trace = Instant::now();
    progress.set("tracing what opens the failed and suspicious cells");
    let openers =
        super::locate::trace_openers(&mut db, &mut prepared, &observations, &cells, locate)?;
    presumption::open(&mut cells, &openers, &facts);
    note_untriggered(&mut cells, &prepared.untriggered);
    crate::terminal::timing("trace failed and suspicious cells", t_trace);
    let matrix = prepared.into_matrix(observations);
    progress.finish();
    if let Some(line) = &matrix.tenancy {
        crate::terminal::fact(line, global.quiet);
    }
    let mut meta = RunMeta::new(global.project.display().to_string());
    meta.postgres = Some(db.server_version.clone());
    meta.duration_ms = Some(started.elapsed().as_millis() as u64);
    meta.without_specs = specs.is_empty();
    meta.allow_unspecified = args.allow_unspecified || meta.without_specs;
    meta.lint = lint;
    meta.partition = args.partition.map(|p| p.to_string());
    meta.not_called = calls.not_called;
    if locate {
        meta.places = super::locate::places(
            &project,
            &specs,
            &matrix.identities,
            &functions,
            &openers,
            &cells,
        );
    }
    let t_down = Instant::now();
    drop(db);
    crate::terminal::timing("teardown", t_down);
    Ok(Run {
        project,
        identities,
        specs,
        matrix,
        cells,
        functions,
        meta,
    })
}

/// Every observation judged against the specs, for the identities as probed (with the tenants
/// they belong to).
pub fn judge(matrix: &Matrix, specs: &Specs) -> Vec<Cell> {
    judge_observations(
        &matrix.observations,
        &matrix.rows,
        &matrix.identities,
        specs,
    )
}

/// [`judge`] on the parts of a matrix.
pub fn judge_observations(
    observations: &[Observation],
    rows: &[TableRows],
    identities: &[Identity],
    specs: &Specs,
) -> Vec<Cell> {
    observations
        .iter()
        .filter_map(|obs| {
            let identity = identities.iter().find(|i| i.name == obs.identity)?;
            let rows = rows.iter().find(|r| r.table == obs.table)?;
            let exp = specs.expectation(&obs.table, identity);
            Some(verdict::judge(obs, exp.as_ref(), rows, identity))
        })
        .collect()
}

/// The cells of a table whose rows were placed with triggers off say so.
fn note_untriggered(
    cells: &mut [Cell],
    untriggered: &std::collections::BTreeMap<TableRef, String>,
) {
    for cell in cells {
        let Some(refusal) = cell.subject.relation().and_then(|t| untriggered.get(t)) else {
            continue;
        };
        if !cell.detail.is_empty() {
            cell.detail.push_str("; ");
        }
        cell.detail.push_str(&format!(
            "its rows were placed with triggers off, as a data-only seed loads, after a trigger refused one: {refusal}"
        ));
    }
}

/// The synthesized tenant members (they own rows, no probe runs as them), with the tenants
/// each belongs to.
pub(crate) fn tenant_members(prepared: &probe::Prepared) -> Vec<Identity> {
    let tenants = prepared
        .model
        .tenancy
        .as_ref()
        .map_or(&[][..], |t| &t.tenants[..]);
    prepared
        .fillers
        .iter()
        .map(|filler| {
            let mut filler = filler.clone();
            filler.tenants = tenants
                .iter()
                .flat_map(|t| {
                    t.members.iter().filter(|m| m.name == filler.name).map(|m| {
                        spec::identities::TenantRole {
                            tenant: t.name.clone(),
                            role: m.role.clone(),
                        }
                    })
                })
                .collect();
            filler
        })
        .collect()
}

/// The migrated catalog's warnings and errors, before any test rows exist, with the catalog
/// it read (the presumption's facts come from it).
fn catalog_lint(
    project: &Project,
    client: &mut postgres::Client,
) -> anyhow::Result<(Vec<LintFinding>, MigratedCatalog)> {
    let config = crate::lint::config::Config::load(&project.root, None)?;
    let mut catalog = crate::lint::lint_migrated_catalog(project, client, &config)
        .context("linting the migrated catalog")?;
    let diagnostics = std::mem::take(&mut catalog.diagnostics);
    let findings = diagnostics
        .into_iter()
        .filter(|d| d.severity >= crate::lint::diagnostic::Severity::Warning)
        .map(|d| LintFinding {
            rule: d.rule.to_string(),
            severity: d.severity.as_str().to_string(),
            file: d
                .location
                .as_ref()
                .map(|l| crate::report::matrix::places::shown(&project.root.join(&l.file))),
            line: d.location.as_ref().map_or(0, |l| l.line),
            column: d.location.as_ref().map_or(0, |l| l.column),
            message: d.message,
        })
        .collect();
    Ok((findings, catalog))
}

/// The project's identities, specs and fixtures; a mistake in any is a located error (exit 2).
/// A first run (no specs, no identities.toml) adds the adversary of the presumption,
/// `mallory`, when the migrations read `user_metadata`.
pub fn load_declarations(
    project: &Project,
) -> anyhow::Result<(Vec<Identity>, Specs, Vec<spec::FixtureRow>)> {
    let specs_dir = project.specs_dir();
    let mut identities = spec::identities::load_identities_all(&specs_dir).map_err(spec_errors)?;
    let specs = spec::load_specs(&specs_dir).map_err(spec_errors)?;
    let declared = specs_dir.join(spec::identities::IDENTITIES_FILE).exists();
    if specs.is_empty() && !declared {
        identities.extend(presumption::adversary::mallory(
            project.migrations.iter().map(|m| m.text.as_str()),
        ));
    }
    let fixtures = spec::load_fixtures(&project.fixtures_dir()).map_err(spec_errors)?;
    Ok((identities, specs, fixtures))
}

/// Specs and fixtures checked against what the migrated database holds: unknown tables,
/// identities, labels, owner and tenant columns, `[tenancy]`, with did-you-mean.
pub(crate) fn validate_declarations(
    db: &mut Database,
    project: &Project,
    specs: &Specs,
    catalog: &probe::catalog::Catalog,
    identities: &[Identity],
    fixtures: &[spec::FixtureRow],
) -> anyhow::Result<()> {
    let roles: Vec<String> = db
        .client()
        .query("select rolname::text from pg_roles", &[])
        .context("reading the database's roles")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    spec::identities::check_roles(&project.specs_dir(), identities, &roles).map_err(spec_errors)?;
    let relations = catalog.exposed_tables();
    specs
        .validate_with(&relations, identities, fixtures)
        .map_err(spec_errors)?;
    spec::validate_fixtures(fixtures, &relations, identities).map_err(spec_errors)?;
    specs
        .validate_schema(catalog, identities)
        .map_err(spec_errors)?;
    Ok(())
}

/// The tenant and party words of the specs checked against the row model rows were placed by.
pub(crate) fn validate_scopes(specs: &Specs, prepared: &probe::Prepared) -> anyhow::Result<()> {
    specs
        .validate_scopes(&prepared.rows, prepared.model.tenancy.as_ref())
        .map_err(spec_errors)
}

/// Every function of the exposed schemas with who may execute it; `[functions]` keys and
/// identities checked against them (a located error, exit 2).
pub(crate) fn load_functions(
    db: &mut Database,
    schemas: &[String],
    identities: &[Identity],
    specs: &Specs,
) -> anyhow::Result<Vec<FunctionAccess>> {
    let functions = probe::functions::load(db.client(), schemas, identities)
        .context("reading functions and their EXECUTE privileges")?;
    specs
        .validate_functions(&functions, identities)
        .map_err(spec_errors)?;
    Ok(functions)
}

/// Every `--table` name must match a relation in the exposed schemas.
pub(crate) fn check_table_filter(
    names: &[String],
    relations: &[TableRef],
    schemas: &[String],
) -> anyhow::Result<()> {
    for name in names {
        let one = std::slice::from_ref(name);
        if !relations.iter().any(|t| probe::table_selected(t, one)) {
            anyhow::bail!(
                "--table {name}: no such table or view in the exposed schemas ({})",
                schemas.join(", ")
            );
        }
    }
    Ok(())
}

pub fn exposed_schemas(project: &Project) -> Vec<String> {
    project
        .api
        .schemas
        .iter()
        .filter(|s| s.as_str() != "graphql_public")
        .cloned()
        .collect()
}

fn spec_errors(errors: impl Into<spec::SpecErrors>) -> anyhow::Error {
    crate::terminal::Rendered(errors.into().to_string()).into()
}
