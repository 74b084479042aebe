//! The auditor's report as Markdown (GitHub flavour), the same sections as the HTML.

use std::io::{self, Write};

use super::{scope_short, Audit};
use crate::matrix::Command;
use crate::verdict::CellOutcome;

fn cell_md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn write(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let s = &audit.summary;
    writeln!(
        out,
        "# rlsgate access report: {}\n",
        cell_md(&audit.meta.project)
    )?;
    writeln!(
        out,
        "**{}**: {} cells, {} passed, {} failed, {} unspecified, {}{} inconclusive{}; {} lint findings; {} functions.\n",
        if audit.passed { "PASS" } else { "FAIL" },
        s.cells,
        s.passed,
        s.failed,
        s.unspecified,
        if s.suspicious > 0 {
            format!("{} suspicious, ", s.suspicious)
        } else {
            String::new()
        },
        s.inconclusive,
        if s.policy_errors > 0 {
            format!(", {} policy errors", s.policy_errors)
        } else {
            String::new()
        },
        audit.lint.len(),
        audit.functions.len()
    )?;
    let worst = audit.worst_findings(10);
    if !worst.is_empty() {
        writeln!(out, "## Worst findings\n")?;
        for (i, f) in worst.iter().enumerate() {
            writeln!(out, "{}. {}", i + 1, f.title)?;
            if !f.detail.is_empty() {
                writeln!(out, "   {}", f.detail)?;
            }
        }
        writeln!(out)?;
    }

    writeln!(out, "## Run\n\n| | |\n|---|---|")?;
    writeln!(out, "| rlsgate | {} |", audit.meta.rlsgate)?;
    writeln!(
        out,
        "| PostgreSQL | {} |",
        audit.meta.postgres.as_deref().unwrap_or("unknown")
    )?;
    writeln!(
        out,
        "| started | {} |",
        audit.meta.started_at.as_deref().unwrap_or("unknown")
    )?;
    writeln!(out, "| exposed schemas | {} |", audit.schemas.join(", "))?;
    writeln!(
        out,
        "| migrations | {} files, sha256 `{}` |\n",
        audit.migrations.len(),
        audit.migrations_hash
    )?;
    writeln!(
        out,
        "### Identities\n\n| identity | role | claims |\n|---|---|---|"
    )?;
    for id in &audit.identities {
        writeln!(
            out,
            "| {} | `{}` | `{}` |",
            id.name,
            id.role,
            cell_md(&serde_json::to_string(&id.claims).unwrap_or_default())
        )?;
    }
    writeln!(out)?;

    writeln!(
        out,
        "## Access matrix\n\nEach cell: what the identity can do (select/update/delete: `own`, `all`, or how many of the labelled rows; insert: deny/own/any). \
         ✗ differs from the spec, ! inconclusive, ? no spec, ⚑ no spec and suspicious.\n"
    )?;
    let ids = audit.identity_names();
    for (schema, tables) in audit.tables_by_schema() {
        writeln!(out, "### schema `{schema}`\n")?;
        write!(out, "| table |")?;
        for id in &ids {
            write!(out, " {id} S | I | U | D |")?;
        }
        writeln!(out)?;
        write!(out, "|---|")?;
        for _ in &ids {
            write!(out, "---|---|---|---|")?;
        }
        writeln!(out)?;
        for table in tables {
            write!(out, "| `{}` |", table.name)?;
            for id in &ids {
                for c in Command::ALL {
                    let text = match audit.cell(table, id, c) {
                        Some(cell) => {
                            let mark = match cell.outcome {
                                CellOutcome::Fail => " ✗",
                                CellOutcome::Inconclusive => " !",
                                CellOutcome::PolicyError => " ⚠",
                                CellOutcome::Unspecified => " ?",
                                CellOutcome::Suspicious => " ⚑",
                                CellOutcome::Pass => "",
                            };
                            format!("{}{mark}", scope_short(&cell.actual))
                        }
                        None => String::new(),
                    };
                    write!(out, " {} |", cell_md(&text))?;
                }
            }
            writeln!(out)?;
        }
        writeln!(out)?;
    }

    writeln!(out, "## Tables\n")?;
    for tables in audit.tables_by_schema().values() {
        for table in tables {
            let Some(r) = audit.relation(table) else {
                continue;
            };
            writeln!(
                out,
                "### `{}`\n\n{}, owner `{}`{}\n",
                table,
                r.kind,
                r.owner,
                if r.kind.ends_with("table") {
                    if r.rls {
                        ", RLS on"
                    } else {
                        ", **RLS off**"
                    }
                } else if r.kind == "view" && !r.security_invoker {
                    ", **runs as its owner** (no security_invoker)"
                } else {
                    ""
                }
            )?;
            let allowed: Vec<_> = audit
                .provenance
                .iter()
                .filter(|p| &p.table == *table)
                .collect();
            if !allowed.is_empty() {
                writeln!(
                    out,
                    "| identity | command | can | granted by |\n|---|---|---|---|"
                )?;
                for p in allowed {
                    let actual = audit
                        .cell(table, &p.identity, p.command)
                        .map(|c| c.actual.to_string())
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "| {} | {} | {} | {} |",
                        p.identity,
                        p.command,
                        cell_md(&actual),
                        cell_md(
                            &p.sources
                                .iter()
                                .map(|s| s.text())
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    )?;
                }
                writeln!(out)?;
            }
            for c in audit
                .cells
                .iter()
                .filter(|c| c.relation() == Some(*table) && c.outcome != CellOutcome::Pass)
            {
                writeln!(
                    out,
                    "- {} {} {}: {} (expected {}) {}",
                    c.outcome.symbol(),
                    c.identity,
                    c.action,
                    c.actual,
                    c.expected,
                    c.detail
                )?;
            }
            if !r.policies.is_empty() {
                writeln!(out, "\n```sql")?;
                for p in &r.policies {
                    writeln!(out, "{}\n", p.sql(table))?;
                }
                writeln!(out, "```")?;
            }
            writeln!(out)?;
        }
    }

    let views: Vec<_> = audit
        .relations
        .iter()
        .filter(|r| r.kind.contains("view"))
        .collect();
    if !views.is_empty() {
        writeln!(out, "## Views and materialized views\n")?;
        write!(out, "| view | kind | security_invoker | owner |")?;
        for id in &ids {
            write!(out, " {id} reads |")?;
        }
        writeln!(out)?;
        write!(out, "|---|---|---|---|")?;
        for _ in &ids {
            write!(out, "---|")?;
        }
        writeln!(out)?;
        for v in views {
            write!(
                out,
                "| `{}` | {} | {} | `{}` |",
                v.table,
                v.kind,
                match (v.kind.as_str(), v.security_invoker) {
                    ("view", true) => "yes",
                    ("view", false) => "**no**",
                    _ => "n/a (no RLS)",
                },
                v.owner
            )?;
            for id in &ids {
                let actual = audit
                    .cell(&v.table, id, Command::Select)
                    .map(|c| c.actual.to_string())
                    .unwrap_or_default();
                write!(out, " {} |", cell_md(&actual))?;
            }
            writeln!(out)?;
        }
        writeln!(out)?;
    }

    if !audit.functions.is_empty() {
        writeln!(out, "## Functions\n")?;
        write!(out, "| function | definer | search_path pinned |")?;
        for id in &ids {
            write!(out, " {id} |")?;
        }
        writeln!(out)?;
        write!(out, "|---|---|---|")?;
        for _ in &ids {
            write!(out, "---|")?;
        }
        writeln!(out)?;
        for f in &audit.functions {
            write!(
                out,
                "| `{}.{}` | {} | {} |",
                f.function.schema,
                cell_md(&f.signature),
                if f.security_definer { "**yes**" } else { "no" },
                if f.search_path_pinned { "yes" } else { "no" }
            )?;
            for id in &ids {
                let can = f.execute.get(*id).copied().unwrap_or(false);
                let mark = match audit.function_cell(f, id).map(|c| c.outcome) {
                    Some(CellOutcome::Fail) => " ✗",
                    Some(CellOutcome::Unspecified) => " ?",
                    _ => "",
                };
                write!(out, " {}{mark} |", if can { "✓" } else { "–" })?;
            }
            writeln!(out)?;
        }
        writeln!(out)?;
    }

    if !audit.lint.is_empty() {
        writeln!(
            out,
            "## Lint findings\n\n| severity | rule | where | finding |\n|---|---|---|---|"
        )?;
        for d in &audit.lint {
            let at = d
                .location
                .as_ref()
                .map(|l| format!("{}:{}", l.file, l.line))
                .unwrap_or_else(|| "catalog".into());
            writeln!(
                out,
                "| {} | `{}` | `{}` | {} |",
                d.severity,
                d.rule,
                at,
                cell_md(&d.message)
            )?;
        }
    }
    Ok(())
}
