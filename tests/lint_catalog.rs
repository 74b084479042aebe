//! Static and catalog lint agree on which tables lack row level security, on every project in
//! the repository and on the regressions that disable RLS. Needs the Postgres 15 binaries the
//! rest of rlsgate uses (or RLSGATE_DB_URL).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rlsgate::lint::{self, Config, Diagnostic, Origin};
use rlsgate::migrate::{Database, OpenOptions};
use rlsgate::project::Project;
use rlsgate::terminal::Progress;

fn objects(diagnostics: &[Diagnostic], rule: &str) -> BTreeSet<String> {
    diagnostics
        .iter()
        .filter(|d| d.rule == rule)
        .filter_map(|d| d.object.clone())
        .collect()
}

struct Compared {
    name: String,
    static_missing: BTreeSet<String>,
    catalog_missing: BTreeSet<String>,
    catalog: Vec<Diagnostic>,
}

fn compare(root: &Path, name: String) -> Compared {
    let project = Project::load(root).unwrap_or_else(|e| panic!("{name}: {e}"));
    let config = Config::load(root, None).unwrap();
    let files = project
        .migrations
        .iter()
        .map(|f| lint::SourceFile::new(f.path.display().to_string(), f.text.clone()))
        .collect();
    let static_lint = lint::lint_sources(files, &config);
    let opts = OpenOptions {
        db_url: std::env::var("RLSGATE_DB_URL").ok(),
        no_cache: false,
        migrate_external: true,
        seed: false,
        ..OpenOptions::default()
    };
    let mut db = Database::open(&project, &opts, &Progress::hidden())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let (catalog, _) = lint::lint_migrated(&project, db.client(), &config).unwrap();
    Compared {
        name,
        static_missing: objects(&static_lint.diagnostics, "rls-disabled"),
        catalog_missing: objects(&catalog, "rls-disabled"),
        catalog,
    }
}

fn projects() -> Vec<PathBuf> {
    let mut roots = vec![PathBuf::from(".")];
    let mut examples: Vec<PathBuf> = std::fs::read_dir("examples")
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    examples.sort();
    roots.extend(examples);
    roots
}

/// A copy of `root` with `regression` appended as the last migration.
fn with_regression(root: &Path, regression: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let project = Project::load(root).unwrap();
    let rel = project
        .migrations_dir
        .strip_prefix(root)
        .unwrap()
        .to_path_buf();
    let target = dir.path().join(&rel);
    std::fs::create_dir_all(&target).unwrap();
    for f in &project.migrations {
        let name = f.path.file_name().unwrap();
        std::fs::write(target.join(name), &f.text).unwrap();
    }
    std::fs::copy(regression, target.join("99999999999999_regression.sql")).unwrap();
    let config = root.join("supabase/config.toml");
    if config.is_file() {
        std::fs::create_dir_all(dir.path().join("supabase")).unwrap();
        std::fs::copy(config, dir.path().join("supabase/config.toml")).unwrap();
    }
    dir
}

#[test]
fn static_and_catalog_agree_on_tables_without_rls() {
    let mut runs = Vec::new();
    for root in projects() {
        if Project::load(&root).is_err() {
            continue;
        }
        runs.push(compare(&root, root.display().to_string()));
        let regressions = root.join("regressions");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&regressions)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        for regression in files
            .iter()
            .filter(|p| p.to_string_lossy().contains("disable"))
        {
            let copy = with_regression(&root, regression);
            runs.push(compare(
                copy.path(),
                format!("{} + {}", root.display(), regression.display()),
            ));
        }
    }
    assert!(
        runs.len() >= 5,
        "expected the repo's projects and regressions, found {}",
        runs.len()
    );
    let disabled_somewhere = runs
        .iter()
        .filter(|r| !r.catalog_missing.is_empty())
        .count();
    assert!(
        disabled_somewhere >= 4,
        "the regressions that disable RLS must be caught, {disabled_somewhere} were"
    );
    for run in &runs {
        assert_eq!(
            run.static_missing, run.catalog_missing,
            "{}: static vs catalog",
            run.name
        );
        for d in run.catalog.iter().filter(|d| d.rule == "rls-disabled") {
            assert_eq!(d.origin, Origin::Catalog);
            let loc = d
                .location
                .as_ref()
                .unwrap_or_else(|| panic!("{}: {} has no provenance", run.name, d.message));
            assert!(
                loc.file.ends_with(".sql") && loc.line >= 1,
                "{}: {loc:?}",
                run.name
            );
        }
    }
}

#[test]
fn catalog_findings_point_at_migration_lines() {
    let run = compare(Path::new("examples/agent-creator"), "agent-creator".into());
    let exec_sql = run
        .catalog
        .iter()
        .find(|d| d.rule == "security-definer-executable")
        .expect("exec_sql is found in the catalog");
    assert_eq!(exec_sql.severity, lint::Severity::Error);
    let loc = exec_sql.location.as_ref().unwrap();
    assert!(loc.file.ends_with("20240301000000_exec_sql.sql"), "{loc:?}");
    assert_eq!((loc.line, loc.column), (8, 1));
}
