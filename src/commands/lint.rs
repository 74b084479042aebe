use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{FailOn, GlobalArgs, LintArgs};
use crate::lint::{self, Baseline, Config, Diagnostic, Severity, Sources};
use crate::report::lint as report;
use crate::Status;

/// The threshold of `--fail-on`: a severity, or none for `never`.
fn fail_threshold(value: FailOn) -> Option<Severity> {
    match value {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    }
}

fn shown(path: &Path) -> PathBuf {
    path.strip_prefix("./").unwrap_or(path).to_path_buf()
}

pub fn run(global: &GlobalArgs, args: &LintArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let fail_on = fail_threshold(args.fail_on);
    let config = Config::load(&global.project, args.config.as_deref())?;
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        let dir = lint::default_migrations_dir(&global.project).with_context(|| {
            format!(
                "no migrations found in {}: looked for supabase/migrations/ and migrations/; pass SQL files or directories, or --project DIR",
                global.project.display()
            )
        })?;
        vec![shown(&dir)]
    } else {
        args.paths.clone()
    };
    let files = lint::collect_files(&paths)?;
    let (sources, mut diagnostics) = lint::read_files(&files)?;
    let output = lint::lint_sources(sources, &config);
    diagnostics = lint::finalize(diagnostics, &config, &[]);
    diagnostics.extend(output.diagnostics);
    let mut sources = output.analysis.sources;

    let unparseable = diagnostics
        .iter()
        .any(|d| d.rule == lint::rules::syntax_error::RULE.id);
    if args.db && unparseable {
        crate::terminal::emulation_warnings(&[
            "the catalog lint did not run: a migration has a syntax error, so the database cannot be built (the syntax-error finding says where)".to_string(),
        ]);
    } else if args.db {
        let (catalog, catalog_sources) = catalog_findings(global, &config)?;
        diagnostics.retain(|d| {
            lint::registry::find(d.rule).is_none_or(|r| r.scope == lint::registry::Scope::Static)
        });
        diagnostics.extend(catalog);
        for f in catalog_sources.files {
            if sources.get(&f.path).is_none() {
                sources.files.push(f);
            }
        }
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));

    if let Some(path) = &args.write_baseline {
        std::fs::write(path, Baseline::of(&diagnostics).to_json())
            .with_context(|| format!("writing baseline {}", path.display()))?;
    }
    if let Some(path) = &args.baseline {
        diagnostics = Baseline::read(path)?.new_findings(diagnostics);
    }

    let style = report::Style {
        color: anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never,
    };
    let files = args.also.iter().map(|a| (a.format, a.path.as_path()));
    for (format, path) in super::outputs::check(files)? {
        super::outputs::write(path, |file| {
            report::write(
                format,
                file,
                &diagnostics,
                &sources,
                report::Style::default(),
            )
        })?;
    }
    let mut buffered = std::io::BufWriter::new(out);
    report::write(args.format, &mut buffered, &diagnostics, &sources, style)?;
    buffered.flush()?;
    let failing = fail_on.is_some_and(|t| diagnostics.iter().any(|d| d.severity >= t));
    Ok(if failing {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// Migrate the project into a throwaway database and lint its catalog; findings point at the
/// migration files through provenance. The catalog is the ground truth: with `--db`, rules that
/// run on both keep only their catalog findings.
fn catalog_findings(
    global: &GlobalArgs,
    config: &Config,
) -> anyhow::Result<(Vec<Diagnostic>, Sources)> {
    use crate::migrate::{Database, OpenOptions};
    use crate::project::Project;
    let project = Project::load(&global.project)?;
    let progress = crate::terminal::Progress::new(global.quiet);
    let opts = OpenOptions {
        db_url: global.db_url.clone(),
        no_cache: global.no_cache,
        timeouts: global.timeouts()?,
        migrate_external: true,
        seed: false,
    };
    let mut db = Database::open(&project, &opts, &progress)?;
    crate::terminal::emulation_warnings(&db.warnings);
    progress.set("linting the catalog");
    let started = std::time::Instant::now();
    let result =
        lint::lint_migrated(&project, db.client(), config).context("linting the migrated catalog");
    crate::terminal::timing("catalog lint", started);
    progress.finish();
    let (mut diagnostics, mut sources) = result?;
    // The catalog lint names files relative to the project; the static lint, as given.
    let rebase =
        |file: &mut String| *file = shown(&global.project.join(&*file)).display().to_string();
    for location in diagnostics.iter_mut().filter_map(|d| d.location.as_mut()) {
        rebase(&mut location.file);
    }
    for source in &mut sources.files {
        rebase(&mut source.path);
    }
    Ok((diagnostics, sources))
}
