//! The request shapes supabase-js sends beside the plain statements: `.insert().select()`
//! (INSERT ... RETURNING, which the SELECT policies must also pass) and `.upsert()` (INSERT ...
//! ON CONFLICT DO UPDATE, which needs the INSERT, UPDATE and SELECT policies). Probed on real
//! runs; reported where they differ from the plain statement, never deciding a cell.

mod common;

use common::{project, run, stdout};
use serde_json::Value;

/// Authors write and edit their notes, but only published notes are readable: a plain insert
/// and update of one's own note work, `.insert().select()` and `.upsert()` do not.
const NOTES: &str = "
create table public.notes (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id),
  title text not null,
  published boolean not null default false
);
alter table public.notes enable row level security;
create policy \"write own\" on public.notes for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy \"edit own\" on public.notes for update to authenticated
  using (user_id = (select auth.uid()));
";

const READ_PUBLISHED: &str = "create policy \"read published\" on public.notes for select to authenticated using (published);";
const READ_OWN: &str = "create policy \"read own\" on public.notes for select to authenticated using (published or user_id = (select auth.uid()));";

/// A table whose identity key is generated always: the upsert must override it.
const TODOS: &str = "
create table public.todos (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id),
  title text not null
);
alter table public.todos enable row level security;
create policy \"own\" on public.todos for all to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
";

fn report(read_policy: &str) -> (Value, String) {
    let p = project(&[("001_notes.sql", &format!("{NOTES}{read_policy}\n{TODOS}"))]);
    let json = run(&["test", "--format", "json"], p.path());
    let text = run(&["test"], p.path());
    let report: Value = serde_json::from_slice(&json.stdout).expect("a JSON report");
    (report, stdout(&text))
}

fn shapes<'a>(report: &'a Value, table: &str, who: &str, command: &str) -> &'a [Value] {
    report["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["table"] == table && c["identity"] == who && c["command"] == command)
        .and_then(|c| c["shapes"].as_array())
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("no shapes on {table} · {who} · {command}"))
}

fn cell<'a>(report: &'a Value, table: &str, who: &str, command: &str) -> &'a Value {
    report["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["table"] == table && c["identity"] == who && c["command"] == command)
        .unwrap()
}

#[test]
fn shapes_that_need_the_select_policy_are_reported_where_they_differ() {
    let (report, text) = report(READ_PUBLISHED);

    let insert = shapes(&report, "public.notes", "alice", "insert");
    assert_eq!(insert[0]["shape"], "insert returning");
    assert_eq!(insert[0]["outcome"], "denied by RLS");
    assert!(insert[0]["differs"]
        .as_str()
        .unwrap()
        .contains("no SELECT policy shows the new row"));
    // the plain statement still decides the cell
    assert_eq!(
        cell(&report, "public.notes", "alice", "insert")["actual"],
        "own"
    );

    let upsert = shapes(&report, "public.notes", "alice", "update");
    assert_eq!(upsert[0]["shape"], "upsert:alice");
    assert_ne!(upsert[0]["outcome"], "allowed");
    assert!(upsert[0]["differs"]
        .as_str()
        .unwrap()
        .contains("although a plain UPDATE of it is accepted"));

    assert!(text.contains("request shapes (what supabase-js also sends, where it differs):"));
    assert!(text.contains("↯ notes · alice · insert"), "{text}");

    // where every policy agrees, the shapes are probed and agree
    for command in ["insert", "update"] {
        let todos = shapes(&report, "public.todos", "alice", command);
        assert_eq!(todos[0]["outcome"], "allowed", "{todos:?}");
        assert!(todos[0].get("differs").is_none(), "{todos:?}");
    }
}

#[test]
fn a_select_policy_that_shows_the_author_its_rows_makes_them_agree() {
    let (report, text) = report(READ_OWN);
    for who in ["alice", "bob"] {
        for command in ["insert", "update"] {
            let s = shapes(&report, "public.notes", who, command);
            assert_eq!(s[0]["outcome"], "allowed", "{who} {command}: {s:?}");
            assert!(s[0].get("differs").is_none());
        }
    }
    assert!(!text.contains("request shapes"), "{text}");
}
