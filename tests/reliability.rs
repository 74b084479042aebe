//! The guarantees of README "Guarantees", each held by a test here: real runs of the built
//! binary, real pipes, real signals, real concurrent runs.

mod common;
#[path = "reliability/config.rs"]
mod config;
#[path = "reliability/db_url.rs"]
mod db_url;
#[path = "reliability/exit_codes.rs"]
mod exit_codes;
#[path = "reliability/interrupts.rs"]
mod interrupts;
#[path = "reliability/isolation.rs"]
mod isolation;
#[path = "reliability/quoting.rs"]
mod quoting;
#[path = "reliability/support.rs"]
mod support;
#[path = "reliability/timeouts.rs"]
mod timeouts;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

/// A project whose owner column is the reserved word `user`, with columns `select` and `order`.
pub fn reserved_word_project() -> tempfile::TempDir {
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

pub fn write_spec(project: &Path, name: &str, toml: &str) {
    let specs = project.join("policy_specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::write(specs.join(name), toml).unwrap();
}

/// The same project with a spec that anon may read every row: 4 failing cells.
pub fn failing_project() -> tempfile::TempDir {
    let dir = reserved_word_project();
    write_spec(
        dir.path(),
        "posts.toml",
        "[defaults]\nanon = \"all\"\nservice = \"all\"\n\n[tables.posts]\nauthenticated = \"own\"\n",
    );
    dir
}

pub fn json(out: &Output) -> Value {
    let (stdout, stderr) = common::text(out);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"))
}
