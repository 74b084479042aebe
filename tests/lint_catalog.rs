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

/// A project of one migration in a temporary directory.
fn one_migration(sql: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("supabase/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(migrations.join("20240101000000_app.sql"), sql).unwrap();
    dir
}

const MEANING: &str = "\
create table public.projects (id uuid primary key, team_id uuid not null, name text);
create table public.team_members (id uuid primary key, team_id uuid not null, user_id uuid not null);
alter table public.projects enable row level security;
alter table public.team_members enable row level security;
create policy \"members read projects\" on public.projects for select to authenticated
  using (exists (select 1 from public.team_members tm
                 where tm.user_id = (select auth.uid())
                   and tm.team_id = team_id));
create policy \"own memberships\" on public.team_members for select to authenticated
  using ((select auth.uid()) = user_id);
create table public.posts (id uuid primary key, author_id uuid, editor_id uuid, body text);
alter table public.posts enable row level security;
create policy r on public.posts for select to authenticated using ((select auth.uid()) = author_id);
create policy i on public.posts for insert to authenticated with check ((select auth.uid()) = author_id);
create policy u on public.posts for update to authenticated
  using ((select auth.uid()) = author_id) with check (body is not null);
create policy d on public.posts for delete to authenticated using ((select auth.uid()) = editor_id);
create function public.add_member(p_team uuid, p_user uuid) returns void
language sql security definer set search_path = ''
as $$ insert into public.team_members (id, team_id, user_id) values (gen_random_uuid(), p_team, p_user) $$;
revoke execute on function public.add_member(uuid, uuid) from anon;
";

#[test]
fn the_meaning_rules_read_the_migrated_catalog() {
    let dir = one_migration(MEANING);
    let run = compare(dir.path(), "meaning".into());
    let found = |rule: &str| -> Vec<(u32, u32, String)> {
        run.catalog
            .iter()
            .filter(|d| d.rule == rule)
            .map(|d| {
                assert_eq!(d.origin, Origin::Catalog, "{rule}");
                let l = d
                    .location
                    .as_ref()
                    .expect("catalog findings point into the file");
                (l.line, l.column, d.message.clone())
            })
            .collect()
    };
    let captured = found("policy-captured-column");
    assert_eq!(captured.len(), 1, "{captured:?}");
    assert_eq!(
        (captured[0].0, captured[0].1),
        (8, 37),
        "the captured column's line, not the policy's"
    );
    let mismatch = found("policy-owner-mismatch");
    assert_eq!(mismatch.len(), 1, "{mismatch:?}");
    assert_eq!(mismatch[0].0, 17);
    let reassign = found("policy-owner-reassignable");
    assert_eq!(reassign.len(), 1, "{reassign:?}");
    assert_eq!(reassign[0].0, 16);
    let caller = found("security-definer-without-caller-check");
    assert_eq!(caller.len(), 1, "{caller:?}");
    assert!(
        caller[0].2.contains("writes public.team_members"),
        "{caller:?}"
    );
    let revoke = found("revoke-without-effect");
    assert_eq!(revoke.len(), 1, "{revoke:?}");
    assert_eq!(revoke[0].0, 21);
    assert!(
        revoke[0].2.contains("PUBLIC still holds EXECUTE"),
        "{revoke:?}"
    );
}

#[test]
fn the_catalog_confirms_what_revokes_and_qualified_columns_do() {
    let fixed = MEANING
        .replace(
            "and tm.team_id = team_id",
            "and tm.team_id = projects.team_id",
        )
        .replace("from anon;", "from public, anon, authenticated;");
    let run = compare(one_migration(&fixed).path(), "fixed".into());
    for rule in [
        "policy-captured-column",
        "revoke-without-effect",
        "security-definer-without-caller-check",
    ] {
        let hits: Vec<_> = run.catalog.iter().filter(|d| d.rule == rule).collect();
        assert!(hits.is_empty(), "{rule}: {hits:#?}");
    }
}
