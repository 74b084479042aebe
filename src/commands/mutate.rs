use std::io::Write;
use std::time::Instant;

use anyhow::Context;

use crate::cli::{GlobalArgs, MutateArgs, MutateFormat};
use crate::matrix::TableRef;
use crate::migrate::{Database, OpenOptions};
use crate::mutate::{self, report, Judge, RunOptions};
use crate::probe::{self, Prepared, ProbeOptions};
use crate::project::Project;
use crate::spec::{FixtureRow, Identity, Specs};
use crate::terminal::Progress;
use crate::Status;

pub fn run(global: &GlobalArgs, args: &MutateArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let started = Instant::now();
    let progress = Progress::new(global.quiet);
    let mut setup = Setup::open(global, args.migrate, &progress)?;
    let jobs = args.jobs.unwrap_or(3).max(1);
    let prepared = setup.prepare(jobs)?;

    progress.set("generating mutants");
    let probed: Vec<TableRef> = prepared.rows.iter().map(|r| r.table.clone()).collect();
    let mutants = mutate::generate(setup.db.client(), &probed).context("reading policies")?;
    let mutants = mutate::number(mutants, &args.tables);
    let total = mutants.len();
    let judge = Judge {
        prepared: &prepared,
        specs: &setup.specs,
        identities: &prepared.identities,
    };
    let on_done = |n: usize| progress.set(format!("mutant {n}/{total}"));
    let t_run = Instant::now();
    let (mut base_cells, mut results) = mutate::run(
        &mut setup.db,
        &judge,
        mutants,
        &RunOptions {
            jobs,
            only_identities: &[],
            on_done: &on_done,
        },
    )?;
    crate::terminal::timing("mutants", t_run);
    // function mutants: only in a run of every table (function cells are not judged under
    // --table, as in `rlsgate test`)
    if args.tables.is_empty() {
        let t_functions = Instant::now();
        let functions =
            probe::functions::load(setup.db.client(), &setup.schemas, &setup.identities)
                .context("reading functions and their EXECUTE privileges")?;
        let mut function_mutants = mutate::functions::generate(setup.db.client(), &functions)
            .context("reading functions")?;
        for (i, (_, m)) in function_mutants.iter_mut().enumerate() {
            m.id = format!("M{}", total + i + 1);
        }
        let count = function_mutants.len();
        let on_function_done = |n: usize| progress.set(format!("function mutant {n}/{count}"));
        let judge = mutate::functions::FunctionJudge {
            functions: &functions,
            schemas: &setup.schemas,
            specs: &setup.specs,
            identities: &setup.identities,
            prepared: &prepared,
            jobs,
            call_timeout: global.timeouts()?.call,
        };
        let (function_cells, function_results) =
            mutate::functions::run(&mut setup.db, &judge, function_mutants, &on_function_done)?;
        base_cells.extend(function_cells);
        results.extend(function_results);
        crate::terminal::timing("function mutants", t_functions);
    }
    progress.finish();
    let baseline = crate::verdict::summarize(&base_cells);
    let ms = started.elapsed().as_millis() as u64;
    match &args.output {
        Some(path) => {
            let mut file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            write(args.format, &results, &baseline, ms, &mut file)?;
        }
        None => write(args.format, &results, &baseline, ms, out)?,
    }
    let summary = mutate::Summary::of(&results);
    Ok(if summary.survived + summary.inconclusive > 0 {
        Status::Findings
    } else {
        Status::Clean
    })
}

fn write(
    format: MutateFormat,
    results: &[mutate::MutantResult],
    baseline: &crate::verdict::Summary,
    ms: u64,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        MutateFormat::Human => report::human(results, baseline, ms, out),
        MutateFormat::Json => report::json(results, baseline, ms, out),
    }
}

/// A project loaded and migrated, its specs validated: what `mutate` and `fuzz` start from.
pub struct Setup {
    pub project: Project,
    pub identities: Vec<Identity>,
    pub specs: Specs,
    pub fixtures: Vec<FixtureRow>,
    pub db: Database,
    pub schemas: Vec<String>,
}

impl Setup {
    /// `migrate`: with `--db-url`, apply the migrations first (our own cluster always has them).
    pub fn open(global: &GlobalArgs, migrate: bool, progress: &Progress) -> anyhow::Result<Setup> {
        let project = Project::load(&global.project)?;
        let (identities, specs, fixtures) = super::test::load_declarations(&project)?;
        let opts = OpenOptions {
            db_url: global.db_url.clone(),
            no_cache: global.no_cache,
            timeouts: global.timeouts()?,
            migrate_external: migrate,
            seed: false,
        };
        let mut db = Database::open(&project, &opts, progress)?;
        let schemas = super::test::exposed_schemas(&project);
        let catalog = probe::load_catalog(db.client(), &schemas)?;
        super::test::validate_declarations(
            &mut db,
            &project,
            &specs,
            &catalog,
            &identities,
            &fixtures,
        )?;
        Ok(Setup {
            project,
            identities,
            specs,
            fixtures,
            db,
            schemas,
        })
    }

    /// Identities' users and the synthesized and pinned rows, committed once.
    pub fn prepare(&mut self, jobs: usize) -> anyhow::Result<Prepared> {
        let specs = &self.specs;
        let prepared = probe::prepare(
            &mut self.db,
            &ProbeOptions {
                schemas: &self.schemas,
                identities: &self.identities,
                fixtures: &self.fixtures,
                specs,
                tables: &[],
                only_identities: &[],
                partition: None,
                jobs,
            },
            None,
        )?;
        super::test::validate_scopes(specs, &prepared)?;
        Ok(prepared)
    }
}
