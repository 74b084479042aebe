use std::io::Write;
use std::time::{Instant, SystemTime};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::cli::{GlobalArgs, ReportArgs};
use crate::commands::test::{exposed_schemas, judge};
use crate::lint::{self, Config, SourceFile};
use crate::matrix::TableRef;
use crate::migrate::{Database, OpenOptions};
use crate::probe::{self, functions, provenance, Execution, Matrix, Prepared, ProbeOptions};
use crate::project::Project;
use crate::report::audit::{self, Audit, IdentityInfo};
use crate::report::matrix::RunMeta;
use crate::spec::{Identity, Specs};
use crate::terminal::Progress;
use crate::verdict::presumption::{self, Facts, Ground};
use crate::verdict::{self, presume, Summary};
use crate::Status;

pub fn run(global: &GlobalArgs, args: &ReportArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    if args.html.is_none() && args.markdown.is_none() {
        anyhow::bail!("nothing to write: pass --html FILE and/or --markdown FILE");
    }
    let audit = collect(global, args)?;
    if let Some(path) = &args.html {
        let mut buf = Vec::new();
        audit::html::write(&audit, &mut buf)?;
        std::fs::write(path, buf).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    if let Some(path) = &args.markdown {
        let mut buf = Vec::new();
        audit::markdown::write(&audit, &mut buf)?;
        std::fs::write(path, buf).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    writeln!(
        out,
        "{}: {}",
        if audit.passed { "pass" } else { "fail" },
        audit.summary
    )?;
    Ok(if audit.passed {
        Status::Clean
    } else {
        Status::Findings
    })
}

/// A whole audit run: probe and judge like `rlsgate test`, then trace provenance, read
/// policies, grants, functions and views, and lint the migrations and the catalog.
pub fn collect(global: &GlobalArgs, args: &ReportArgs) -> anyhow::Result<Audit> {
    let started = Instant::now();
    let started_at = crate::report::matrix::rfc3339(SystemTime::now());
    let progress = Progress::new(global.quiet);
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    let Session {
        project,
        identities,
        specs,
        mut db,
        schemas,
        functions,
        mut prepared,
    } = start(global, &args.tables, jobs, &progress)?;
    progress.set("probing");
    let observations = probe::observe_all(
        &mut db,
        &prepared,
        &Execution {
            only_identities: &[],
            jobs,
            extra_sql: None,
        },
    )?;
    let matrix = Matrix {
        relations: prepared.rows.iter().map(|r| r.table.clone()).collect(),
        rows: prepared.rows.clone(),
        observations,
        identities: prepared.identities.clone(),
        tenancy: None,
        inferred_tenancy: None,
    };
    let mut cells = judge(&matrix, &specs);

    progress.set("reading policies and grants");
    let access = provenance::relation_access(db.client(), &matrix.relations)
        .context("reading policies and grants")?;
    let traced = if args.no_provenance {
        Vec::new()
    } else {
        progress.set("tracing provenance");
        provenance::trace(&mut db, &mut prepared, &matrix.observations, &access)?
    };
    progress.set("linting");
    let config = Config::load(&global.project, None)?;
    let (diagnostics, catalog) = lint_all(&project, &mut db, &config)?;
    progress.finish();

    if args.tables.is_empty() {
        cells.extend(verdict::judge_functions(
            &functions,
            &specs,
            &identities,
            &[],
        ));
    }
    let facts = Facts::read(
        &catalog.model,
        &catalog.provenance,
        &prepared.rows,
        &functions,
    );
    presume(
        &mut cells,
        &Ground {
            observations: &matrix.observations,
            rows: &matrix.rows,
            identities: &matrix.identities,
            members: &super::test::tenant_members(&prepared),
            facts: &facts,
        },
    );
    presumption::open(&mut cells, &traced, &facts);
    let summary = Summary::of(&cells);
    let mut meta = RunMeta::new(project_name(&global.project));
    meta.postgres = Some(db.server_version.clone());
    meta.started_at = Some(started_at);
    meta.duration_ms = Some(started.elapsed().as_millis() as u64);
    meta.without_specs = specs.is_empty();
    meta.allow_unspecified = args.allow_unspecified || meta.without_specs;
    Ok(Audit {
        passed: verdict::status(&summary, meta.allow_unspecified) == Status::Clean,
        summary,
        migrations: project
            .migrations
            .iter()
            .map(|m| m.path.display().to_string())
            .collect(),
        migrations_hash: migrations_hash(&project),
        schemas,
        identities: identities.iter().map(identity_info).collect(),
        cells,
        relations: access,
        provenance: traced,
        lint: diagnostics,
        functions,
        meta,
    })
}

/// The database migrated and prepared for probing, with what the project declares.
pub(crate) struct Session {
    pub project: Project,
    pub identities: Vec<Identity>,
    pub specs: Specs,
    pub db: Database,
    pub schemas: Vec<String>,
    /// Every function of the exposed schemas with who may execute it.
    pub functions: Vec<functions::FunctionAccess>,
    pub prepared: Prepared,
}

pub(crate) fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

/// Load the project, its identities, specs and fixtures, migrate a throwaway database and
/// place the rows the probes use.
pub(crate) fn start(
    global: &GlobalArgs,
    tables: &[String],
    jobs: usize,
    progress: &Progress,
) -> anyhow::Result<Session> {
    let project = Project::load(&global.project)?;
    let (identities, specs, fixtures) = super::test::load_declarations(&project)?;
    let opts = OpenOptions {
        db_url: global.db_url.clone(),
        no_cache: global.no_cache,
        timeouts: global.timeouts()?,
        migrate_external: true,
        seed: false,
    };
    let mut db = Database::open(&project, &opts, progress)?;
    let schemas = exposed_schemas(&project);
    let catalog = probe::load_catalog(db.client(), &schemas)?;
    let relations: Vec<TableRef> = catalog.exposed_tables();
    super::test::validate_declarations(
        &mut db,
        &project,
        &specs,
        &catalog,
        &identities,
        &fixtures,
    )?;
    super::test::check_table_filter(tables, &relations, &schemas)?;
    let functions = super::test::load_functions(&mut db, &schemas, &identities, &specs)?;
    progress.set("placing rows");
    let prepared = probe::prepare(
        &mut db,
        &ProbeOptions {
            schemas: &schemas,
            identities: &identities,
            fixtures: &fixtures,
            specs: &specs,
            tables,
            only_identities: &[],
            partition: None,
            jobs,
        },
        Some(catalog),
    )?;
    super::test::validate_scopes(&specs, &prepared)?;
    Ok(Session {
        project,
        identities,
        specs,
        db,
        schemas,
        functions,
        prepared,
    })
}

/// Static findings of the files (rules that only run there) and catalog findings of the
/// migrated database, pointing at file:line.
fn lint_all(
    project: &Project,
    db: &mut Database,
    config: &Config,
) -> anyhow::Result<(Vec<lint::Diagnostic>, lint::MigratedCatalog)> {
    let files: Vec<SourceFile> = project
        .migrations
        .iter()
        .map(|f| SourceFile::new(f.path.display().to_string(), f.text.clone()))
        .collect();
    let mut diagnostics = lint::lint_sources(files, config).diagnostics;
    diagnostics.retain(|d| {
        lint::registry::find(d.rule).is_none_or(|r| r.scope == lint::registry::Scope::Static)
    });
    let mut catalog = lint::lint_migrated_catalog(project, db.client(), config)
        .context("linting the migrated catalog")?;
    diagnostics.append(&mut catalog.diagnostics);
    diagnostics.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.sort_key().cmp(&b.sort_key()))
    });
    Ok((diagnostics, catalog))
}

/// The project directory as a reader knows it: its own name, not `.`.
fn project_name(dir: &std::path::Path) -> String {
    std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string())
}

fn identity_info(id: &Identity) -> IdentityInfo {
    IdentityInfo {
        name: id.name.clone(),
        role: id.role.clone(),
        sub: id.sub.clone(),
        claims: id.claims.clone(),
    }
}

/// SHA-256 over each migration's path and text, in the order applied.
pub fn migrations_hash(project: &Project) -> String {
    let mut hasher = Sha256::new();
    for m in &project.migrations {
        let name = m
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(m.text.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
