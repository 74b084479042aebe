//! Lints: the migration files without a database (static), and the migrated catalog.
//!
//! Both build a [`Model`] and run the same rules over it (`rules/`, one file per rule, listed
//! once in [`registry`]); catalog findings point back at the file and line that created or last
//! altered the object, through [`Provenance`].

pub mod analyze;
pub mod baseline;
pub mod body;
pub mod catalog;
pub mod config;
pub mod diagnostic;
pub mod expr;
pub mod model;
pub mod policy_columns;
pub mod provenance;
pub mod registry;
pub mod rule;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod syntax;
pub mod tokens;

use std::path::{Path, PathBuf};

pub use baseline::Baseline;
pub use catalog::lint_catalog;
pub use config::{Config, ConfigError};
pub use diagnostic::{Diagnostic, Location, Origin, Severity};
pub use model::Model;
pub use provenance::{provenance, ObjectKey, ObjectKind, Provenance};
pub use registry::{Rule, RULES};
pub use source::{SourceFile, Sources};
pub use suppress::Suppression;

use rules::{invalid_input, syntax_error, Context};

struct PreparedFile<'a> {
    statements: Vec<(crate::sql::Statement<'a>, analyze::Prepared<'a>)>,
    error: Option<crate::sql::SplitError>,
    syntax: Option<syntax::SyntaxError>,
}

fn prepare_file(file: &SourceFile) -> PreparedFile<'_> {
    let text = file.text.as_str();
    let (statements, error) = match crate::sql::split(text) {
        Ok(statements) => (statements, None),
        Err(err) => (
            crate::sql::split(&text[..err.offset]).unwrap_or_default(),
            Some(err),
        ),
    };
    let cut = |stmt: &crate::sql::Statement<'_>| {
        file.truncated_at.is_some() && !text[stmt.end()..].trim_start().starts_with(';')
    };
    let syntax = (error.is_none() && file.truncated_at.is_none())
        .then(|| syntax::check(text))
        .flatten();
    PreparedFile {
        syntax,
        statements: statements
            .into_iter()
            .filter(|s| !cut(s))
            .map(|s| (s, analyze::Analyzer::prepare(s.code())))
            .collect(),
        error,
    }
}

/// The result of the static analysis of a set of files.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub sources: Sources,
    pub model: Model,
    pub suppressions: Vec<Suppression>,
    /// Diagnostics found while reading (invalid input), before any rule ran.
    pub input_diagnostics: Vec<Diagnostic>,
}

/// Apply one prepared file to the model: its input and syntax errors, suppression comments
/// and statements.
fn apply_file(
    analyzer: &mut analyze::Analyzer,
    index: usize,
    file: &SourceFile,
    prepared: PreparedFile<'_>,
    suppressions: &mut Vec<Suppression>,
    input_diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(err) = prepared.error {
        input_diagnostics.push(invalid_input::diagnostic(
            file.location(err.offset, err.offset),
            err.to_string(),
            &format!("expected {} before the end of the file", err.expected()),
        ));
    }
    if let Some(err) = &prepared.syntax {
        input_diagnostics.push(syntax_error::diagnostic(
            file.location(err.offset, err.offset),
            err.message.clone(),
        ));
    }
    for (stmt, p) in prepared.statements {
        suppress::collect(&file.path, &stmt, file.text.len(), suppressions);
        let rejected = prepared
            .syntax
            .as_ref()
            .is_some_and(|e| e.offset >= stmt.token_start && e.offset <= stmt.end());
        let unparsed = analyzer.model.unparsed.len();
        analyzer.apply(index, &stmt, p);
        if rejected {
            analyzer.model.unparsed.truncate(unparsed);
        }
    }
}

/// Split and analyse `files` in order. Tokenising and parsing run in parallel over files; the
/// statements then update the model one by one, in migration order, while later files are
/// still being parsed.
pub fn analyze(files: Vec<SourceFile>, config: &Config) -> Analysis {
    let mut analyzer = analyze::Analyzer::new();
    analyzer.auto_expose = config.auto_expose_new_tables;
    let mut suppressions = Vec::new();
    let mut input_diagnostics = Vec::new();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(files.len().max(1));
    std::thread::scope(|scope| {
        let (sender, prepared) = std::sync::mpsc::channel();
        for w in 0..workers {
            let files = &files;
            let sender = sender.clone();
            scope.spawn(move || {
                for (i, f) in files.iter().enumerate().filter(|(i, _)| i % workers == w) {
                    if sender.send((i, prepare_file(f))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(sender);
        let mut waiting: std::collections::BTreeMap<usize, PreparedFile<'_>> =
            std::collections::BTreeMap::new();
        let mut next = 0;
        for (i, p) in prepared {
            waiting.insert(i, p);
            while let Some(p) = waiting.remove(&next) {
                apply_file(
                    &mut analyzer,
                    next,
                    &files[next],
                    p,
                    &mut suppressions,
                    &mut input_diagnostics,
                );
                next += 1;
            }
        }
    });
    let model = analyzer.finish();
    for s in suppressions.iter_mut() {
        let Some(file) = files.iter().position(|f| f.path == s.file) else {
            continue;
        };
        let inside = |site: Option<model::Site>| {
            site.is_some_and(|x| x.file == file && x.start >= s.start && x.start <= s.end)
        };
        s.objects.extend(
            model
                .relations
                .values()
                .filter(|r| inside(r.created))
                .map(|r| r.name.to_string()),
        );
        s.objects.extend(
            model
                .functions
                .iter()
                .filter(|f| inside(f.site))
                .map(|f| f.signature()),
        );
        s.objects.extend(
            model
                .policies
                .iter()
                .filter(|p| inside(p.site))
                .map(|p| p.label()),
        );
    }
    Analysis {
        sources: Sources { files },
        model,
        suppressions,
        input_diagnostics,
    }
}

/// Static findings plus what the analysis kept (sources for rendering, the model).
#[derive(Debug, Clone)]
pub struct LintOutput {
    pub diagnostics: Vec<Diagnostic>,
    pub analysis: Analysis,
}

/// Run the static rules over `files` (in migration order).
pub fn lint_sources(files: Vec<SourceFile>, config: &Config) -> LintOutput {
    let analysis = analyze(files, config);
    let mut diagnostics = analysis.input_diagnostics.clone();
    let ctx = Context {
        model: &analysis.model,
        files: &analysis.model,
        sources: &analysis.sources,
        exposed_schemas: &config.exposed_schemas,
        origin: Origin::Static,
    };
    rules::check_all(&ctx, &mut diagnostics);
    let diagnostics = finalize(diagnostics, config, &analysis.suppressions);
    LintOutput {
        diagnostics,
        analysis,
    }
}

/// Apply the configuration (disabled rules, severities) and suppression comments; sort.
pub fn finalize(
    mut diagnostics: Vec<Diagnostic>,
    config: &Config,
    suppressions: &[Suppression],
) -> Vec<Diagnostic> {
    diagnostics
        .retain(|d| !config.disabled.contains(d.rule) && !suppressions.iter().any(|s| s.covers(d)));
    for d in &mut diagnostics {
        if let Some(severity) = config.severity.get(d.rule) {
            d.severity = *severity;
        }
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: no such file or directory")]
    Missing(PathBuf),
}

/// `.sql` files from `paths` (directories: their `*.sql` files in file-name order).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| InputError::Read {
                    path: path.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "sql"))
                .collect();
            entries.sort();
            files.extend(entries);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(InputError::Missing(path.clone()));
        }
    }
    Ok(files)
}

/// Read files; unreadable content becomes a diagnostic in the returned list.
pub fn read_files(paths: &[PathBuf]) -> Result<(Vec<SourceFile>, Vec<Diagnostic>), InputError> {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for path in paths {
        let (file, diag) = SourceFile::read(path).map_err(|source| InputError::Read {
            path: path.clone(),
            source,
        })?;
        files.push(file);
        diagnostics.extend(diag);
    }
    Ok((files, diagnostics))
}

/// The project's migrations directory, found like `Project::load` does: `supabase/migrations/`,
/// else `migrations/`.
pub fn default_migrations_dir(project: &Path) -> Option<PathBuf> {
    ["supabase/migrations", "migrations"]
        .into_iter()
        .map(|d| project.join(d))
        .find(|d| d.is_dir())
}

/// Catalog lint of an already migrated project database (what `rlsgate test` can call with the
/// database it has open): the findings, with suppression comments and the configuration
/// applied, and the migration sources they point into.
pub fn lint_migrated(
    project: &crate::project::Project,
    client: &mut postgres::Client,
    config: &Config,
) -> Result<(Vec<Diagnostic>, Sources), postgres::Error> {
    let linted = lint_migrated_catalog(project, client, config)?;
    Ok((linted.diagnostics, linted.provenance.sources))
}

/// What the catalog lint of a migrated database found, with what it read to find it: the
/// catalog as a [`Model`] and where each object comes from (the first-run presumption of
/// `rlsgate test` reads both).
pub struct MigratedCatalog {
    pub diagnostics: Vec<Diagnostic>,
    pub model: Model,
    pub provenance: Provenance,
}

/// [`lint_migrated`], keeping the model and the provenance.
pub fn lint_migrated_catalog(
    project: &crate::project::Project,
    client: &mut postgres::Client,
    config: &Config,
) -> Result<MigratedCatalog, postgres::Error> {
    let files: Vec<SourceFile> = project
        .migrations
        .iter()
        .map(|f| SourceFile::new(f.path.display().to_string(), f.text.clone()))
        .collect();
    let started = std::time::Instant::now();
    let provenance = provenance::from_analysis(analyze(files, config));
    crate::terminal::timing("catalog lint, reading the files", started);
    let started = std::time::Instant::now();
    let model = catalog::load_model(client, &provenance)?;
    crate::terminal::timing("catalog lint, querying the catalog", started);
    let started = std::time::Instant::now();
    let diagnostics = catalog::check_model(&model, &config.exposed_schemas, &provenance);
    crate::terminal::timing("catalog lint, rules", started);
    let diagnostics = finalize(diagnostics, config, &provenance.suppressions);
    Ok(MigratedCatalog {
        diagnostics,
        model,
        provenance,
    })
}
