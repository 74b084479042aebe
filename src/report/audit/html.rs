//! The auditor's report as one self-contained HTML file: inline CSS, no script, no fetch.

use std::io::{self, Write};

use super::{anchor, scope_class, scope_short, Audit};
use crate::matrix::Command;
use crate::verdict::CellOutcome;

const CSS: &str = r#"
:root { --none:#eef1f4; --own:#ffe08a; --some:#ffb870; --all:#f28b82; --bad:#b00020; --ink:#1d2329; --muted:#5f6b76; --line:#d5dbe1; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1360px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
a { color: #0b5cad; }
code, pre { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; overflow-x: auto; margin: 6px 0; white-space: pre-wrap; }
.muted { color: var(--muted); }
.verdict { display: flex; align-items: center; gap: 16px; padding: 14px 16px; border-radius: 6px; margin: 14px 0; }
.verdict.pass { background: #e6f4ea; border: 1px solid #8cc79b; }
.verdict.fail { background: #fdecea; border: 1px solid #e8a09a; }
.badge { font-weight: 700; font-size: 20px; letter-spacing: .05em; padding: 2px 12px; border-radius: 4px; color: #fff; }
.pass .badge { background: #1e7e34; } .fail .badge { background: var(--bad); }
.counts span { margin-right: 14px; white-space: nowrap; }
ol.worst { margin: 6px 0 0; padding-left: 22px; } ol.worst li { margin: 3px 0; }
ol.worst .detail { display: block; color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; }
table.data { width: 100%; margin: 6px 0 12px; }
table.data th, table.data td { border: 1px solid var(--line); padding: 4px 7px; text-align: left; vertical-align: top; }
table.data th { background: #f3f5f7; font-weight: 600; }
table.meta td:first-child { font-weight: 600; white-space: nowrap; width: 1%; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 8px 0 12px; font-size: 13px; align-items: center; }
.legend .sw { display: inline-block; min-width: 34px; padding: 0 3px; white-space: nowrap; height: 20px; vertical-align: middle; border: 1px solid #c9d0d6; margin-right: 5px; text-align: center; font-size: 11px; line-height: 18px; }
.matrix-wrap { overflow-x: auto; }
table.matrix { font-size: 12px; }
table.matrix th, table.matrix td { border: 1px solid #fff; padding: 0; }
table.matrix thead th { background: #f3f5f7; font-weight: 600; padding: 3px 4px; text-align: center; position: sticky; top: 0; z-index: 1; }
table.matrix thead tr.cmds th { top: 24px; font-weight: 500; color: var(--muted); width: 36px; }
table.matrix th.id { border-left: 3px solid #fff; }
table.matrix tbody th { text-align: left; font-weight: 500; padding: 2px 10px 2px 4px; white-space: nowrap; background: #fafbfc; }
table.matrix tbody tr:nth-child(5n) td, table.matrix tbody tr:nth-child(5n) th { border-bottom: 2px solid #fff; }
table.matrix td.c { min-width: 36px; height: 22px; padding: 0 3px; white-space: nowrap; text-align: center; position: relative; font-variant-numeric: tabular-nums; }
table.matrix td.first { border-left: 3px solid #fff; }
.s-none { background: var(--none); color: #8a949e; }
.s-own { background: var(--own); }
.s-some { background: var(--some); }
.s-all { background: var(--all); }
.s-unknown { background: repeating-linear-gradient(45deg, #e3e6ea 0 4px, #f7f8f9 4px 8px); }
td.o-fail { outline: 2px solid var(--bad); outline-offset: -2px; font-weight: 700; }
td.o-fail::after { content: "✗"; position: absolute; top: -1px; right: 1px; font-size: 9px; color: var(--bad); }
td.o-inconclusive::after { content: "!"; position: absolute; top: -1px; right: 2px; font-size: 10px; font-weight: 700; color: #7a4b00; }
td.o-unspecified { outline: 1px dashed #6b7785; outline-offset: -3px; }
td.o-unspecified::after { content: "?"; position: absolute; top: -1px; right: 2px; font-size: 9px; color: #4a5560; }
.kind { font-size: 10px; color: var(--muted); border: 1px solid var(--line); border-radius: 3px; padding: 0 3px; margin-left: 4px; }
details.table { border: 1px solid var(--line); border-radius: 5px; margin: 8px 0; padding: 0 12px; }
details.table[open] { padding-bottom: 10px; }
details.table > summary { cursor: pointer; padding: 8px 0; font-weight: 600; }
details.table > summary .muted { font-weight: 400; margin-left: 8px; }
.flag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; margin-left: 6px; font-weight: 600; }
.flag.bad { background: #fdecea; color: var(--bad); } .flag.warn { background: #fff4d6; color: #7a4b00; } .flag.ok { background: #e6f4ea; color: #1e7e34; }
table.cells td { font-size: 13px; }
table.cells td .exp { color: var(--muted); }
table.cells ul { margin: 2px 0 0; padding-left: 16px; color: #33414d; font-size: 12px; }
td.yes { background: #fbe3e1; text-align: center; } td.no { color: #8a949e; text-align: center; }
td.fail { outline: 2px solid var(--bad); outline-offset: -2px; font-weight: 600; } td.unspec { outline: 1px dashed #7a4b00; outline-offset: -2px; }
tr.risk td:first-child { border-left: 3px solid var(--bad); }
table.lint td:nth-child(2), table.lint td:nth-child(3) { white-space: nowrap; }
.sev-error { color: var(--bad); font-weight: 600; } .sev-warning { color: #7a4b00; font-weight: 600; } .sev-info { color: var(--muted); }
@media print { details.table { break-inside: avoid; } thead th { position: static !important; } }
"#;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn cmd_letter(c: Command) -> &'static str {
    match c {
        Command::Select => "S",
        Command::Insert => "I",
        Command::Update => "U",
        Command::Delete => "D",
    }
}

pub fn write(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    let title = format!("rlsgate access report: {}", audit.meta.project);
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>",
        e(&title)
    )?;
    writeln!(out, "<h1>{}</h1>", e(&title))?;
    writeln!(
        out,
        "<div class=\"muted\">rlsgate {} · {}{}</div>",
        e(&audit.meta.rlsgate),
        e(audit.meta.started_at.as_deref().unwrap_or("")),
        audit
            .meta
            .postgres
            .as_deref()
            .map(|p| format!(" · PostgreSQL {}", e(p)))
            .unwrap_or_default()
    )?;
    summary(audit, out)?;
    metadata(audit, out)?;
    matrix(audit, out)?;
    tables(audit, out)?;
    views(audit, out)?;
    functions(audit, out)?;
    lint(audit, out)?;
    writeln!(out, "</main>\n</body>\n</html>")
}

fn summary(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let s = &audit.summary;
    let (class, word) = if audit.passed {
        ("pass", "PASS")
    } else {
        ("fail", "FAIL")
    };
    let errors = audit
        .lint
        .iter()
        .filter(|d| d.severity == crate::lint::Severity::Error)
        .count();
    writeln!(
        out,
        "<section id=\"summary\"><div class=\"verdict {class}\"><span class=\"badge\" id=\"verdict\">{word}</span>\
         <div class=\"counts\"><span><b>{}</b> cells</span><span><b>{}</b> passed</span><span><b>{}</b> failed</span>\
         <span><b>{}</b> unspecified</span><span><b>{}</b> inconclusive</span><span><b>{}</b> tables and views</span>\
         <span><b>{}</b> lint findings ({errors} errors)</span><span><b>{}</b> functions</span></div></div>",
        s.cells,
        s.passed,
        s.failed,
        s.unspecified,
        s.inconclusive,
        audit.relations.len(),
        audit.lint.len(),
        audit.functions.len()
    )?;
    let worst = audit.worst_findings(10);
    if worst.is_empty() {
        writeln!(out, "<p>No failed or inconclusive cell, no lint error, no exposed SECURITY DEFINER function.</p>")?;
    } else {
        writeln!(out, "<h3>Worst findings</h3>\n<ol class=\"worst\">")?;
        for f in worst {
            writeln!(
                out,
                "<li><a href=\"#{}\">{}</a>{}</li>",
                escape(&f.anchor),
                escape(&f.title),
                if f.detail.is_empty() {
                    String::new()
                } else {
                    format!("<span class=\"detail\">{}</span>", escape(&f.detail))
                }
            )?;
        }
        writeln!(out, "</ol>")?;
    }
    writeln!(out, "</section>")
}

fn metadata(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    writeln!(out, "<h2 id=\"run\">Run</h2>\n<table class=\"data meta\">")?;
    let mut row = |k: &str, v: String| writeln!(out, "<tr><td>{k}</td><td>{v}</td></tr>");
    row("Project", e(&audit.meta.project))?;
    row("rlsgate", e(&audit.meta.rlsgate))?;
    row(
        "PostgreSQL",
        e(audit.meta.postgres.as_deref().unwrap_or("unknown")),
    )?;
    row(
        "Started",
        e(audit.meta.started_at.as_deref().unwrap_or("unknown")),
    )?;
    if let Some(ms) = audit.meta.duration_ms {
        row("Duration", format!("{:.1} s", ms as f64 / 1000.0))?;
    }
    row("Exposed schemas", e(&audit.schemas.join(", ")))?;
    row(
        "Migrations",
        format!(
            "{} files, sha256 <code id=\"migrations-hash\">{}</code><br><span class=\"muted\">{}</span>",
            audit.migrations.len(),
            e(&audit.migrations_hash),
            e(&audit.migrations.join(", "))
        ),
    )?;
    row(
        "Unspecified cells",
        if audit.meta.allow_unspecified {
            "allowed (--allow-unspecified)".into()
        } else {
            "fail the gate".into()
        },
    )?;
    writeln!(out, "</table>")?;
    writeln!(out, "<h3>Identities</h3>\n<table class=\"data\" id=\"identities\"><tr><th>identity</th><th>database role</th><th>sub</th><th>JWT claims (request.jwt.claims)</th></tr>")?;
    for id in &audit.identities {
        let claims = serde_json::to_string(&id.claims).unwrap_or_default();
        writeln!(
            out,
            "<tr><td><b>{}</b></td><td><code>{}</code></td><td><code>{}</code></td><td><details><summary><code>{}</code></summary><pre>{}</pre></details></td></tr>",
            e(&id.name),
            e(&id.role),
            e(id.sub.as_deref().unwrap_or("–")),
            e(&truncate(&claims, 90)),
            e(&serde_json::to_string_pretty(&id.claims).unwrap_or_default())
        )?;
    }
    writeln!(out, "</table>")
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn legend(out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<div class=\"legend\"><span><span class=\"sw s-none\">–</span>no rows / denied</span>\
         <span><span class=\"sw s-own\">own</span>own rows</span>\
         <span><span class=\"sw s-some\">2</span>some rows (how many of the labelled rows)</span>\
         <span><span class=\"sw s-all\">all</span>all rows / insert any</span>\
         <span><span class=\"sw s-unknown\">?</span>inconclusive</span>\
         <span><span class=\"sw\" style=\"outline:2px solid var(--bad);outline-offset:-2px\">✗</span>differs from the spec</span>\
         <span><span class=\"sw\" style=\"outline:1px dashed #6b7785;outline-offset:-3px\">?</span>no spec</span>\
         <span>⇄ can hand own rows to another owner</span>\
         <span class=\"muted\">S I U D: select, insert, update, delete</span></div>"
    )
}

fn matrix(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<h2 id=\"matrix\">Access matrix</h2>")?;
    legend(out)?;
    let ids = audit.identity_names();
    for (schema, tables) in audit.tables_by_schema() {
        writeln!(
            out,
            "<h3>schema <code>{}</code> <span class=\"muted\">({} relations)</span></h3>",
            escape(schema),
            tables.len()
        )?;
        writeln!(
            out,
            "<div class=\"matrix-wrap\"><table class=\"matrix\" data-schema=\"{}\"><thead><tr><th rowspan=\"2\">table</th>",
            escape(schema)
        )?;
        for id in &ids {
            writeln!(out, "<th class=\"id\" colspan=\"4\">{}</th>", escape(id))?;
        }
        writeln!(out, "</tr><tr class=\"cmds\">")?;
        for _ in &ids {
            for c in Command::ALL {
                write!(out, "<th title=\"{c}\">{}</th>", cmd_letter(c))?;
            }
        }
        writeln!(out, "</tr></thead><tbody>")?;
        for table in tables {
            let kind = audit
                .relation(table)
                .map(|r| r.kind.as_str())
                .unwrap_or("table");
            let tag = match kind {
                "view" => "<span class=\"kind\">view</span>",
                "materialized view" => "<span class=\"kind\">matview</span>",
                "foreign table" => "<span class=\"kind\">foreign</span>",
                _ => "",
            };
            write!(
                out,
                "<tr data-table=\"{}\"><th><a href=\"#{}\">{}</a>{tag}</th>",
                escape(&table.to_string()),
                escape(&anchor(table)),
                escape(&table.name)
            )?;
            for id in &ids {
                for (i, c) in Command::ALL.into_iter().enumerate() {
                    let first = if i == 0 { " first" } else { "" };
                    match audit.cell(table, id, c) {
                        Some(cell) => {
                            let class = scope_class(&cell.actual);
                            let mut tip = format!(
                                "{} {} {}: {} (expected {}){}",
                                id,
                                c,
                                table.display_name(),
                                cell.actual,
                                cell.expected,
                                if cell.detail.is_empty() {
                                    String::new()
                                } else {
                                    format!("\n{}", cell.detail)
                                }
                            );
                            let sources = audit.sources(table, id, c);
                            if !sources.is_empty() {
                                tip.push_str("\nvia ");
                                tip.push_str(
                                    &sources
                                        .iter()
                                        .map(|s| s.text())
                                        .collect::<Vec<_>>()
                                        .join("; "),
                                );
                            }
                            write!(
                                out,
                                "<td class=\"c s-{class} o-{}{first}\" data-identity=\"{}\" data-command=\"{c}\" data-actual=\"{}\" data-outcome=\"{}\" title=\"{}\">{}</td>",
                                cell.outcome.as_str(),
                                escape(id),
                                escape(&cell.actual),
                                cell.outcome.as_str(),
                                escape(&tip),
                                escape(&scope_short(&cell.actual))
                            )?;
                        }
                        None => write!(out, "<td class=\"c{first}\"></td>")?,
                    }
                }
            }
            writeln!(out, "</tr>")?;
        }
        writeln!(out, "</tbody></table></div>")?;
    }
    Ok(())
}

fn tables(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    writeln!(
        out,
        "<h2 id=\"tables\">Tables: policies, grants and provenance</h2>\
         <p class=\"muted\">For each allowed cell, what grants it: found by re-probing with each permissive policy kept alone \
         (the others dropped in a rolled-back transaction), and from the table's grants. With more than 12 relations, only tables with a failed or inconclusive cell start open.</p>"
    )?;
    let ids = audit.identity_names();
    let few = audit.relations.len() <= 12;
    for tables in audit.tables_by_schema().values() {
        for table in tables {
            let rel = audit.relation(table);
            let cells: Vec<_> = audit.cells.iter().filter(|c| &c.table == *table).collect();
            let bad = cells
                .iter()
                .any(|c| matches!(c.outcome, CellOutcome::Fail | CellOutcome::Inconclusive));
            let failed = cells
                .iter()
                .filter(|c| c.outcome == CellOutcome::Fail)
                .count();
            let mut flags = String::new();
            if failed > 0 {
                flags.push_str(&format!("<span class=\"flag bad\">{failed} failed</span>"));
            }
            if let Some(r) = rel {
                if r.kind.ends_with("table") && !r.rls {
                    flags.push_str("<span class=\"flag bad\">RLS off</span>");
                }
                if r.kind == "view" && !r.security_invoker {
                    flags.push_str("<span class=\"flag warn\">definer view</span>");
                }
            }
            writeln!(
                out,
                "<details class=\"table\" id=\"{}\"{}><summary>{}<span class=\"muted\">{}</span>{flags}</summary>",
                e(&anchor(table)),
                if bad || few { " open" } else { "" },
                e(&table.to_string()),
                e(&rel
                    .map(|r| {
                        let mut s = r.kind.clone();
                        if r.kind.ends_with("table") {
                            s.push_str(if r.rls { ", RLS on" } else { ", RLS off" });
                            if r.force_rls {
                                s.push_str(" (forced)");
                            }
                        }
                        if r.kind == "view" {
                            s.push_str(if r.security_invoker {
                                ", security_invoker"
                            } else {
                                ", runs as owner"
                            });
                        }
                        s.push_str(&format!(", owner {}", r.owner));
                        s
                    })
                    .unwrap_or_default())
            )?;
            writeln!(out, "<table class=\"data cells\"><tr><th>identity</th>")?;
            for c in Command::ALL {
                write!(out, "<th>{c}</th>")?;
            }
            writeln!(out, "</tr>")?;
            for id in &ids {
                write!(out, "<tr><td><b>{}</b></td>", e(id))?;
                for c in Command::ALL {
                    let Some(cell) = audit.cell(table, id, c) else {
                        write!(out, "<td></td>")?;
                        continue;
                    };
                    let mark = match cell.outcome {
                        CellOutcome::Pass => "✓",
                        CellOutcome::Fail => "✗",
                        CellOutcome::Unspecified => "?",
                        CellOutcome::Inconclusive => "!",
                    };
                    write!(
                        out,
                        "<td class=\"o-{}\">{mark} <b>{}</b>",
                        cell.outcome.as_str(),
                        e(&cell.actual)
                    )?;
                    if cell.expected != cell.actual {
                        write!(
                            out,
                            " <span class=\"exp\">expected {}</span>",
                            e(&cell.expected)
                        )?;
                    }
                    let sources = audit.sources(table, id, c);
                    if !sources.is_empty() {
                        write!(out, "<ul class=\"prov\">")?;
                        for s in sources {
                            write!(out, "<li>{}</li>", e(&s.text()))?;
                        }
                        write!(out, "</ul>")?;
                    }
                    if cell.outcome != CellOutcome::Pass && !cell.detail.is_empty() {
                        write!(out, "<div class=\"exp\">{}</div>", e(&cell.detail))?;
                    }
                    write!(out, "</td>")?;
                }
                writeln!(out, "</tr>")?;
            }
            writeln!(out, "</table>")?;
            if let Some(r) = rel {
                let grants: Vec<String> = r
                    .grants
                    .iter()
                    .filter(|(g, _)| *g != &r.owner)
                    .map(|(g, p)| {
                        format!(
                            "<b>{}</b>: {}",
                            e(g),
                            e(&p.iter().cloned().collect::<Vec<_>>().join(", "))
                        )
                    })
                    .collect();
                writeln!(
                    out,
                    "<div><b>Grants</b> <span class=\"muted\">(besides the owner)</span>: {}</div>",
                    if grants.is_empty() {
                        "none".to_string()
                    } else {
                        grants.join(" · ")
                    }
                )?;
                if r.policies.is_empty() {
                    writeln!(
                        out,
                        "<div><b>Policies</b>: none{}</div>",
                        if r.rls {
                            " (RLS on: every row is hidden from roles without a bypass)"
                        } else {
                            ""
                        }
                    )?;
                } else {
                    writeln!(out, "<div><b>Policies</b> ({})</div>", r.policies.len())?;
                    let sql: Vec<String> = r.policies.iter().map(|p| p.sql(table)).collect();
                    writeln!(
                        out,
                        "<pre class=\"policies\">{}</pre>",
                        e(&sql.join("\n\n"))
                    )?;
                }
                if let Some(def) = &r.definition {
                    writeln!(
                        out,
                        "<div><b>Definition</b></div><pre>{}</pre>",
                        e(def.trim())
                    )?;
                }
            }
            writeln!(out, "</details>")?;
        }
    }
    Ok(())
}

fn views(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    let views: Vec<_> = audit
        .relations
        .iter()
        .filter(|r| r.kind.contains("view"))
        .collect();
    writeln!(out, "<h2 id=\"views\">Views and materialized views</h2>")?;
    if views.is_empty() {
        return writeln!(
            out,
            "<p>No view or materialized view in the exposed schemas.</p>"
        );
    }
    writeln!(
        out,
        "<p class=\"muted\">A view without <code>security_invoker = true</code> reads its tables with its owner's rights \
         (RLS of the tables does not apply to the caller); a materialized view has no RLS at all.</p>"
    )?;
    writeln!(
        out,
        "<table class=\"data\"><tr><th>view</th><th>kind</th><th>security_invoker</th><th>owner</th>"
    )?;
    let ids = audit.identity_names();
    for id in &ids {
        write!(out, "<th>{} reads</th>", e(id))?;
    }
    writeln!(out, "</tr>")?;
    for v in views {
        let risky = !v.security_invoker;
        write!(
            out,
            "<tr{}><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td>",
            if risky { " class=\"risk\"" } else { "" },
            e(&anchor(&v.table)),
            e(&v.table.to_string()),
            e(&v.kind),
            if v.kind == "view" {
                if v.security_invoker {
                    "yes"
                } else {
                    "<b>no</b>"
                }
            } else {
                "n/a (no RLS)"
            },
            e(&v.owner)
        )?;
        for id in &ids {
            let actual = audit
                .cell(&v.table, id, Command::Select)
                .map(|c| c.actual.as_str())
                .unwrap_or("");
            write!(
                out,
                "<td class=\"s-{}\">{}</td>",
                scope_class(actual),
                e(actual)
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</table>")
}

fn functions(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    writeln!(out, "<h2 id=\"functions\">Functions</h2>")?;
    if audit.functions.is_empty() {
        return writeln!(out, "<p>No function in the exposed schemas.</p>");
    }
    writeln!(
        out,
        "<p class=\"muted\">Who may EXECUTE each function of the exposed schemas (callable through <code>/rpc</code>). \
         A SECURITY DEFINER function runs as its owner and bypasses RLS; without a pinned search_path it can be hijacked.</p>"
    )?;
    let ids = audit.identity_names();
    write!(
        out,
        "<table class=\"data\" id=\"functions-matrix\"><tr><th>function</th><th>SECURITY DEFINER</th><th>search_path pinned</th><th>dynamic SQL</th>"
    )?;
    for id in &ids {
        write!(out, "<th>{}</th>", e(id))?;
    }
    writeln!(out, "</tr>")?;
    for f in &audit.functions {
        let exposed = ids.iter().any(|id| {
            audit
                .identities
                .iter()
                .any(|i| &i.name == id && matches!(i.role.as_str(), "anon" | "authenticated"))
                && f.execute.get(*id).copied().unwrap_or(false)
        });
        let risky = f.security_definer && exposed && !f.returns_trigger;
        let yn = |b: bool, bad: bool| {
            if b && bad {
                "<td class=\"yes\"><b>yes</b></td>"
            } else if b {
                "<td>yes</td>"
            } else if bad {
                "<td class=\"yes\"><b>no</b></td>"
            } else {
                "<td class=\"no\">no</td>"
            }
        };
        write!(
            out,
            "<tr{}><td><code>{}.{}</code>{}</td>{}{}{}",
            if risky { " class=\"risk\"" } else { "" },
            e(&f.function.schema),
            e(&f.signature),
            if f.returns_trigger {
                " <span class=\"kind\">trigger</span>"
            } else {
                ""
            },
            yn(f.security_definer, risky),
            yn(
                f.search_path_pinned,
                f.security_definer && !f.search_path_pinned
            ),
            yn(f.dynamic_sql, f.dynamic_sql && risky),
        )?;
        for id in &ids {
            let can = f.execute.get(*id).copied().unwrap_or(false);
            let judged = audit
                .function_cells
                .iter()
                .find(|c| c.function == f.function && c.identity == *id);
            let (class, mark) = match judged.map(|c| c.outcome) {
                Some(CellOutcome::Fail) => (" fail", " ✗"),
                Some(CellOutcome::Unspecified) => (" unspec", " ?"),
                _ => ("", ""),
            };
            let title = judged
                .map(|c| format!(" title=\"expected {}, actual {}\"", c.expected, c.actual))
                .unwrap_or_default();
            write!(
                out,
                "{}",
                if can {
                    format!("<td class=\"yes{class}\" data-execute=\"yes\"{title}>✓{mark}</td>")
                } else {
                    format!("<td class=\"no{class}\" data-execute=\"no\"{title}>–{mark}</td>")
                }
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</table>")
}

fn lint(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let e = escape;
    writeln!(out, "<h2 id=\"lint\">Lint findings</h2>")?;
    if audit.lint.is_empty() {
        return writeln!(out, "<p>No lint finding.</p>");
    }
    writeln!(
        out,
        "<table class=\"data lint\"><tr><th>severity</th><th>rule</th><th>where</th><th>object</th><th>finding</th></tr>"
    )?;
    for d in &audit.lint {
        let at = d
            .location
            .as_ref()
            .map(|l| format!("{}:{}:{}", l.file, l.line, l.column))
            .unwrap_or_else(|| "catalog".into());
        writeln!(
            out,
            "<tr><td class=\"sev-{sev}\">{sev}</td><td><a href=\"{}\"><code>{}</code></a></td><td><code>{}</code></td><td>{}</td><td>{}<div class=\"muted\">{}</div></td></tr>",
            e(&d.doc_url()),
            e(d.rule),
            e(&at),
            e(d.object.as_deref().unwrap_or("")),
            e(&d.message),
            e(&d.help),
            sev = d.severity.as_str(),
        )?;
    }
    writeln!(out, "</table>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::TableRef;
    use crate::probe::provenance::{Policy, RelationAccess};
    use crate::report::matrix::RunMeta;
    use crate::verdict::{Cell, Summary};

    fn audit() -> Audit {
        let table = TableRef::new("public", "notes");
        let cells = vec![Cell {
            table: table.clone(),
            identity: "anon".into(),
            command: Command::Select,
            expected: "none".into(),
            actual: "all".into(),
            outcome: CellOutcome::Fail,
            detail: "sees rows alice, bob it should not".into(),
            probes: vec![],
        }];
        Audit {
            meta: RunMeta::new("demo"),
            passed: false,
            summary: Summary::of(&cells),
            migrations: vec!["migrations/1.sql".into()],
            migrations_hash: "abc".into(),
            schemas: vec!["public".into()],
            identities: vec![super::super::IdentityInfo {
                name: "anon".into(),
                role: "anon".into(),
                sub: None,
                claims: serde_json::json!({"role": "anon"}),
            }],
            cells,
            relations: vec![RelationAccess {
                table: table.clone(),
                kind: "table".into(),
                owner: "postgres".into(),
                rls: true,
                force_rls: false,
                security_invoker: false,
                policies: vec![Policy {
                    name: "small <ids>".into(),
                    permissive: true,
                    command: "SELECT".into(),
                    roles: vec!["public".into()],
                    using: Some("id < 10".into()),
                    check: None,
                }],
                grants: Default::default(),
                definition: None,
            }],
            provenance: vec![],
            lint: vec![],
            functions: vec![],
            function_cells: vec![],
        }
    }

    #[test]
    fn a_wider_cell_is_marked_and_leads_the_findings() {
        let mut buf = Vec::new();
        write(&audit(), &mut buf).unwrap();
        let html = String::from_utf8(buf).unwrap();
        assert!(html.contains("<span class=\"badge\" id=\"verdict\">FAIL</span>"));
        assert!(html.contains(
            "<td class=\"c s-all o-fail first\" data-identity=\"anon\" data-command=\"select\" data-actual=\"all\" data-outcome=\"fail\""
        ));
        assert!(html.contains(
            "<li><a href=\"#t-public.notes\">anon can read all rows of notes (more than declared: none)</a>"
        ));
        assert!(html.contains(
            "create policy &quot;small &lt;ids&gt;&quot; on public.notes\n  for select\n  to public\n  using (id &lt; 10);"
        ));
        assert!(!html.contains("<ids>"));
    }
}
