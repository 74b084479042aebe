//! `rlsgate report`: the HTML an auditor opens, rendered the way they would see it (headless
//! Chromium), on the demo and on a generated 50-table project.
//!
//! The rendering tests need the `chromium` binary (Debian package `chromium`); without it they
//! say so and skip. Set `RLSGATE_REPORT_KEEP=DIR` to keep the HTML and a screenshot there.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

fn headless(browser: &Path, extra: &[String], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

/// The DOM after Chromium parsed and laid out the page.
fn rendered_dom(page: &Path) -> Option<String> {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED: chromium is not installed (apt-get install chromium); the HTML was not rendered"
        );
        return None;
    };
    let out = headless(&browser, &["--dump-dom".into()], page);
    assert!(out.status.success(), "chromium failed: {out:?}");
    if let Some(keep) = std::env::var_os("RLSGATE_REPORT_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        let stem = page.file_stem().unwrap().to_string_lossy().into_owned();
        std::fs::copy(page, keep.join(format!("{stem}.html"))).unwrap();
        let shot = keep.join(format!("{stem}.png"));
        headless(
            &browser,
            &[format!("--screenshot={}", shot.display())],
            page,
        );
    }
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Every `<td ... data-identity=..>` of the rendered matrix: (table, identity, command, actual, outcome).
fn matrix_cells(dom: &str) -> Vec<(String, String, String, String, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let start = tag.find(&key)? + key.len();
        let end = tag[start..].find('"')? + start;
        Some(
            tag[start..end]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    let mut cells = Vec::new();
    let mut table = String::new();
    let mut rest = dom;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if tag.starts_with("<tr ") {
            if let Some(t) = attr(tag, "data-table") {
                table = t;
            }
        } else if tag.starts_with("<td ") {
            if let (Some(id), Some(cmd), Some(actual), Some(outcome)) = (
                attr(tag, "data-identity"),
                attr(tag, "data-command"),
                attr(tag, "data-actual"),
                attr(tag, "data-outcome"),
            ) {
                cells.push((table.clone(), id, cmd, actual, outcome));
            }
        }
        rest = &rest[end.min(rest.len())..];
        if rest.len() <= 1 {
            break;
        }
        rest = &rest[1..];
    }
    cells
}

fn json_cells(project: &Path) -> Vec<(String, String, String, String, String)> {
    let out = common::run(&["-q", "test", "--format", "json"], project);
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    json["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["table"].as_str().unwrap().to_string(),
                c["identity"].as_str().unwrap().to_string(),
                c["command"].as_str().unwrap().to_string(),
                c["actual"].as_str().unwrap().to_string(),
                c["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn report(project: &Path, html: &Path) -> (std::process::Output, String) {
    let out = common::run(&["-q", "report", "--html", html.to_str().unwrap()], project);
    let text = std::fs::read_to_string(html).unwrap_or_default();
    (out, text)
}

#[test]
fn demo_report_renders_the_whole_matrix_in_chromium() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("demo-report.html");
    let (out, text) = report(&repo, &html);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for needle in ["<script", "<link", "<img", " src=", "@import", "url("] {
        let at = text.find(needle);
        assert!(
            at.is_none(),
            "the report must not load anything, found {needle}: {}",
            &text[at.unwrap().saturating_sub(80)..(at.unwrap() + 80).min(text.len())]
        );
    }
    let Some(dom) = rendered_dom(&html) else {
        return;
    };
    let mut rendered = matrix_cells(&dom);
    let mut expected = json_cells(&repo);
    rendered.sort();
    expected.sort();
    assert_eq!(rendered.len(), 252);
    assert_eq!(
        rendered, expected,
        "the rendered matrix is the test run's matrix"
    );
    assert!(dom.contains("id=\"verdict\">PASS<"));
    assert!(dom.contains("Users can view their own and public documents"));
    assert!(
        dom.contains("policy \"Admins can view all usage\""),
        "admin's read of all api_usage rows comes from the admin policy alone"
    );
    assert!(dom.contains("RLS bypass: service_role has BYPASSRLS"));
    assert!(dom.contains("id=\"functions-matrix\""));
    assert!(dom.contains("migrations/20240111000000_api_rls.sql:"));
}

/// 50 tables in two schemas, with every kind of policy setup, views, a materialized view,
/// functions, and specs that leave some cells failing and some unspecified.
pub fn generate_project(root: &Path, tables: usize) {
    let mut sql = String::new();
    sql.push_str(
        "create schema api;\ngrant usage on schema api to anon, authenticated, service_role;\n",
    );
    sql.push_str("alter default privileges in schema api grant all on tables to anon, authenticated, service_role;\n");
    let mut spec = String::from("[defaults]\nservice = \"all\"\nanon = \"none\"\n\n");
    for i in 0..tables {
        let schema = if i % 5 == 4 { "api" } else { "public" };
        let t = format!("{schema}.item_{i:02}");
        let key = if schema == "public" {
            format!("item_{i:02}")
        } else {
            format!("\"api.item_{i:02}\"")
        };
        let _ = writeln!(
            sql,
            "create table {t} (id bigint generated by default as identity primary key, user_id uuid references auth.users, is_public boolean not null default false, body text);"
        );
        let own = "(select auth.uid()) = user_id";
        match i % 6 {
            0 => {
                let _ = writeln!(sql, "alter table {t} enable row level security;");
                let _ = writeln!(sql, "create policy \"own rows\" on {t} for all to authenticated using ({own}) with check ({own});");
                let _ = writeln!(
                    spec,
                    "[tables.{key}]\nowner = \"user_id\"\nauthenticated = \"own\"\n"
                );
            }
            1 => {
                let _ = writeln!(sql, "alter table {t} enable row level security;");
                let _ = writeln!(
                    sql,
                    "create policy \"everyone reads\" on {t} for select using (true);"
                );
                let _ = writeln!(sql, "create policy \"own writes\" on {t} for insert to authenticated with check ({own});");
                let _ = writeln!(
                    spec,
                    "[tables.{key}]\nowner = \"user_id\"\nauthenticated = {{ select = \"all\", insert = \"own\", update = \"none\", delete = \"none\" }}\n"
                );
            }
            2 => {
                let _ = writeln!(
                    spec,
                    "[tables.{key}]\nowner = \"user_id\"\nauthenticated = \"own\"\n"
                );
            }
            3 => {
                let _ = writeln!(sql, "alter table {t} enable row level security;");
            }
            4 => {
                let _ = writeln!(sql, "alter table {t} enable row level security;");
                let _ = writeln!(
                    sql,
                    "create policy \"read own\" on {t} for select to authenticated using ({own});"
                );
                let _ = writeln!(sql, "create policy \"read public\" on {t} for select to authenticated using (is_public);");
            }
            _ => {
                let _ = writeln!(sql, "alter table {t} enable row level security;");
                let _ = writeln!(sql, "create policy \"own rows\" on {t} for all to authenticated using ({own}) with check ({own});");
                let _ = writeln!(sql, "create policy \"signed in\" on {t} as restrictive for all to authenticated using ((select auth.role()) = 'authenticated');");
                let _ = writeln!(
                    spec,
                    "[tables.{key}]\nowner = \"user_id\"\nauthenticated = \"own\"\n"
                );
            }
        }
    }
    sql.push_str("create view public.all_items as select id, user_id, body from public.item_00;\n");
    sql.push_str("create view public.my_items with (security_invoker = true) as select id, user_id, body from public.item_00;\n");
    sql.push_str("create materialized view public.item_counts as select user_id, count(*) as n from public.item_00 group by user_id;\n");
    sql.push_str("create function public.purge(target bigint) returns void language plpgsql security definer as $$ begin execute format('delete from public.item_00 where id = %s', target); end $$;\n");
    sql.push_str("create function public.whoami() returns uuid language sql stable security definer set search_path = '' as $$ select auth.uid() $$;\n");
    sql.push_str("create function public.add(a int, b int) returns int language sql immutable as $$ select a + b $$;\n");
    sql.push_str("revoke execute on function public.add(int, int) from public, anon;\n");
    std::fs::create_dir_all(root.join("supabase/migrations")).unwrap();
    std::fs::create_dir_all(root.join("policy_specs")).unwrap();
    std::fs::write(
        root.join("supabase/config.toml"),
        "[api]\nschemas = [\"public\", \"api\", \"graphql_public\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("supabase/migrations/20250101000000_items.sql"),
        sql,
    )
    .unwrap();
    std::fs::write(root.join("policy_specs/items.toml"), spec).unwrap();
}

#[test]
fn fifty_tables_render_as_one_heatmap_per_schema() {
    let dir = tempfile::tempdir().unwrap();
    let project = match std::env::var_os("RLSGATE_REPORT_KEEP") {
        Some(keep) => PathBuf::from(keep).join("fifty"),
        None => dir.path().join("fifty"),
    };
    let _ = std::fs::remove_dir_all(&project);
    generate_project(&project, 50);
    let html = dir.path().join("fifty-tables.html");
    let (out, text) = report(&project, &html);
    assert_eq!(
        out.status.code(),
        Some(1),
        "RLS-off tables and unspecified cells fail the gate: {out:?}"
    );
    assert!(text.contains("<table class=\"matrix\" data-schema=\"public\">"));
    assert!(text.contains("<table class=\"matrix\" data-schema=\"api\">"));
    let Some(dom) = rendered_dom(&html) else {
        return;
    };
    let rendered = matrix_cells(&dom);
    let identities = 5;
    let relations = 50 + 3;
    assert_eq!(rendered.len(), relations * identities * 4);
    let cell = |table: &str, id: &str, cmd: &str| {
        rendered
            .iter()
            .find(|c| c.0 == table && c.1 == id && c.2 == cmd)
            .unwrap_or_else(|| panic!("no cell {table} {id} {cmd}"))
            .clone()
    };
    assert_eq!(cell("public.item_02", "anon", "select").3, "all");
    assert_eq!(cell("public.item_02", "anon", "select").4, "fail");
    assert_eq!(cell("public.item_00", "alice", "select").3, "own");
    assert_eq!(cell("public.item_03", "alice", "select").3, "none");
    assert_eq!(cell("public.item_10", "alice", "select").4, "unspecified");
    assert_eq!(cell("public.all_items", "anon", "select").3, "all");
    assert!(dom.contains("view runs as its owner postgres"));
    assert!(
        dom.contains("policies \"read own\" + \"read public\" together")
            || dom.contains("policy \"read own\"")
    );
    assert!(dom.contains("limited by restrictive policy \"signed in\""));
    assert!(dom.contains("RLS disabled on the table"));
    assert!(dom.contains("public.purge(target bigint)"));
    assert!(dom.contains("grant-truncate-to-api-role") || dom.contains("rls-disabled"));
    assert!(dom.contains("item_counts"));
}
