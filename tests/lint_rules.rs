//! Per-rule fixtures: `tests/data/lint/rules/<rule>/bad.sql` must get at least one finding of
//! that rule (the rendered findings are snapshots), `good.sql` none. The seeds' SQL too.

use std::path::Path;

use rlsgate::lint::{lint_sources, registry, Config, Diagnostic, LintOutput, SourceFile};
use rlsgate::report::lint::{human, Style};

fn lint_file(path: &str) -> LintOutput {
    let (file, diag) = SourceFile::read(Path::new(path)).unwrap();
    assert!(diag.is_none(), "{path} is not readable text");
    lint_sources(vec![file], &Config::default())
}

fn render(out: &LintOutput, only: Option<&str>) -> String {
    let diagnostics: Vec<Diagnostic> = out
        .diagnostics
        .iter()
        .filter(|d| only.is_none_or(|r| d.rule == r))
        .cloned()
        .collect();
    let mut buf = Vec::new();
    human::write(
        &mut buf,
        &diagnostics,
        &out.analysis.sources,
        Style { color: false },
    )
    .unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn every_rule_has_fixtures() {
    for rule in registry::RULES {
        for kind in ["bad", "good"] {
            let path = format!("tests/data/lint/rules/{}/{kind}.sql", rule.id);
            assert!(Path::new(&path).is_file(), "missing {path}");
        }
    }
}

#[test]
fn bad_fixtures_are_flagged() {
    for rule in registry::RULES {
        let path = format!("tests/data/lint/rules/{}/bad.sql", rule.id);
        let out = lint_file(&path);
        assert!(
            out.diagnostics.iter().any(|d| d.rule == rule.id),
            "{path}: no {} finding",
            rule.id
        );
        insta::assert_snapshot!(
            format!("bad_{}", rule.id.replace('-', "_")),
            render(&out, Some(rule.id))
        );
    }
}

#[test]
fn good_fixtures_pass() {
    for rule in registry::RULES {
        let path = format!("tests/data/lint/rules/{}/good.sql", rule.id);
        let out = lint_file(&path);
        let hits: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.rule == rule.id)
            .collect();
        assert!(hits.is_empty(), "{path}: unexpected {hits:#?}");
    }
}

#[test]
fn seed_002_exec_sql_is_an_error() {
    let out = lint_file("tests/data/lint/seeds/seed_002.sql");
    let d = out
        .diagnostics
        .iter()
        .find(|d| d.rule == "security-definer-executable")
        .expect("exec_sql is flagged");
    assert_eq!(d.severity, rlsgate::lint::Severity::Error);
    assert_eq!(d.object.as_deref(), Some("public.exec_sql(text)"));
    insta::assert_snapshot!(render(&out, None));
}

#[test]
fn seed_001_alter_auth_users_gets_a_clear_diagnostic() {
    let out = lint_file("tests/data/lint/seeds/seed_001.sql");
    let altered: Vec<_> = out
        .diagnostics
        .iter()
        .filter(|d| d.rule == "auth-users-altered")
        .collect();
    assert_eq!(altered.len(), 2);
    assert!(altered[0]
        .message
        .contains("auth.users is managed by Supabase Auth"));
    assert_eq!(
        altered[0].location.as_ref().map(|l| (l.line, l.column)),
        Some((4, 13))
    );
    insta::assert_snapshot!(render(&out, None));
}

#[test]
fn other_seeds_lint_without_surprises() {
    let out = lint_file("tests/data/lint/seeds/seed_000.sql");
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    let out = lint_file("tests/data/lint/seeds/seed_004_prose.sql");
    let rules: Vec<&str> = out.diagnostics.iter().map(|d| d.rule).collect();
    assert_eq!(
        rules,
        ["syntax-error"],
        "prose in a migration is what Postgres rejects, reported once"
    );
}

#[test]
fn cross_file_state_in_migration_order() {
    let files = vec![
        SourceFile::new("001_tables.sql", "create table public.a (id int);\ncreate table public.b (id int);"),
        SourceFile::new("002_rls.sql", "alter table \"a\" enable row level security;\nalter table b enable row level security;"),
        SourceFile::new("003_later.sql", "alter table public.b disable row level security;"),
    ];
    let out = lint_sources(files, &Config::default());
    let rls: Vec<String> = out
        .diagnostics
        .iter()
        .filter(|d| d.rule == "rls-disabled")
        .map(|d| {
            let l = d.location.as_ref().unwrap();
            format!(
                "{}:{} {}",
                l.file,
                l.line,
                d.object.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(rls, ["003_later.sql:1 public.b"]);
}
