//! The guarantees of README "Guarantees", each held by a test here: real runs of the built
//! binary, real pipes, real signals, real concurrent runs.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

/// A project whose owner column is the reserved word `user`, with columns `select` and `order`.
fn reserved_word_project() -> tempfile::TempDir {
    let dir = common::project(&[(
        "001_posts.sql",
        r#"
create table public.posts (
  id uuid primary key default gen_random_uuid(),
  "user" uuid not null references auth.users (id) default auth.uid(),
  "select" text not null default 'x',
  "order" int not null default 0
);
alter table public.posts enable row level security;
create policy "read own" on public.posts for select to authenticated using ("user" = auth.uid());
create policy "write own" on public.posts for insert to authenticated with check ("user" = auth.uid());
create policy "change own" on public.posts for update to authenticated
  using ("user" = auth.uid()) with check ("user" = auth.uid());
create policy "remove own" on public.posts for delete to authenticated using ("user" = auth.uid());
"#,
    )]);
    write_spec(
        dir.path(),
        "posts.toml",
        "[defaults]\nanon = \"none\"\nservice = \"all\"\n\n[tables.posts]\nauthenticated = \"own\"\n",
    );
    dir
}

fn write_spec(project: &Path, name: &str, toml: &str) {
    let specs = project.join("policy_specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::write(specs.join(name), toml).unwrap();
}

fn json(out: &Output) -> Value {
    let (stdout, stderr) = common::text(out);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"))
}

#[test]
fn reserved_word_columns_probe_conclusively_and_their_mutants_die() {
    let project = reserved_word_project();
    let out = common::run(&["test", "--format", "json"], project.path());
    let report = json(&out);
    assert_eq!(
        report["summary"]["inconclusive"], 0,
        "{:#}",
        report["cells"]
    );
    assert_eq!(report["summary"]["passed"], report["summary"]["cells"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out).1);

    let out = common::run(&["mutate", "--format", "json"], project.path());
    let report = json(&out);
    assert_eq!(report["summary"]["inconclusive"], 0, "{report:#}");
    let status = |kind: &str, subject: &str| -> Vec<String> {
        report["mutants"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == kind && m["subject"].as_str().unwrap().contains(subject))
            .map(|m| m["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(status("disable-rls", "posts"), ["killed"], "{report:#}");
    assert_eq!(status("using-true", "read own"), ["killed"], "{report:#}");
    assert_eq!(status("using-true", "remove own"), ["killed"], "{report:#}");
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out).1);
}
