//! The relations' part of the HTML report: the heatmap of every table x identity x command,
//! each table's cells with their provenance, grants and policies, and the views.

use std::io::{self, Write};

use super::super::{anchor, scope_class, scope_short, Audit};
use super::markup::escape;
use crate::matrix::Command;
use crate::verdict::CellOutcome;

fn cmd_letter(c: Command) -> &'static str {
    match c {
        Command::Select => "S",
        Command::Insert => "I",
        Command::Update => "U",
        Command::Delete => "D",
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

pub fn matrix(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
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
                                escape(&cell.actual.to_string()),
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

pub fn tables(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
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
            let cells: Vec<_> = audit
                .cells
                .iter()
                .filter(|c| c.relation() == Some(*table))
                .collect();
            let bad = cells.iter().any(|c| {
                matches!(
                    c.outcome,
                    CellOutcome::Fail | CellOutcome::Inconclusive | CellOutcome::PolicyError
                )
            });
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
                    let mark = cell.outcome.symbol();
                    write!(
                        out,
                        "<td class=\"o-{}\">{mark} <b>{}</b>",
                        cell.outcome.as_str(),
                        e(&cell.actual.to_string())
                    )?;
                    if cell.expected != cell.actual {
                        write!(
                            out,
                            " <span class=\"exp\">expected {}</span>",
                            e(&cell.expected.to_string())
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
                    if let Some(suspicion) = &cell.suspicion {
                        write!(
                            out,
                            "<div class=\"suspicion\"><b>suspicious ({})</b>: {}",
                            e(suspicion.breach.as_str()),
                            e(&suspicion.reason)
                        )?;
                        for opening in &suspicion.opened_by {
                            write!(out, "<br>opened by {}", e(&opening.text()))?;
                        }
                        write!(out, "</div>")?;
                    } else if cell.outcome != CellOutcome::Pass && !cell.detail.is_empty() {
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

pub fn views(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
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
            let cell = audit.cell(&v.table, id, Command::Select);
            write!(
                out,
                "<td class=\"s-{}\">{}</td>",
                cell.map_or("unknown", |c| scope_class(&c.actual)),
                e(&cell.map(|c| c.actual.to_string()).unwrap_or_default())
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</table>")
}
