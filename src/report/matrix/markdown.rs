//! Markdown for a pull-request comment: the verdict, what failed and why, then one table per
//! database table (fully passing tables folded away).

use std::io::{self, Write};

use super::{cell_text, FunctionGrid, Grid, GridTable, RunMeta};
use crate::matrix::Command;
use crate::verdict::{Action, Cell, CellOutcome, Summary};

pub fn write(
    cells: &[Cell],
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
) -> io::Result<()> {
    let gate_fails =
        summary.failed + summary.inconclusive + summary.policy_errors + summary.suspicious > 0
            || (summary.unspecified > 0 && !meta.allow_unspecified)
            || meta.lint.iter().any(|f| f.is_error());
    let verdict = if gate_fails {
        "❌ failed"
    } else {
        "✅ passed"
    };
    writeln!(out, "## rlsgate access matrix: {verdict}")?;
    writeln!(out)?;
    let suspicious = if summary.suspicious > 0 {
        format!(", **{}** suspicious", summary.suspicious)
    } else {
        String::new()
    };
    writeln!(
        out,
        "**{}** cells: **{}** passed, **{}** failed, **{}** unspecified{suspicious}, **{}** inconclusive{}{}",
        summary.cells,
        summary.passed,
        summary.failed,
        summary.unspecified,
        summary.inconclusive,
        if summary.policy_errors > 0 {
            format!(", **{}** policy errors", summary.policy_errors)
        } else {
            String::new()
        },
        if meta.without_specs && summary.unspecified > 0 {
            " (no specs: judged against the presumption)"
        } else if meta.allow_unspecified && summary.unspecified > 0 {
            " (unspecified allowed)"
        } else {
            ""
        }
    )?;

    if !meta.lint.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Catalog lint")?;
        writeln!(out)?;
        for finding in &meta.lint {
            writeln!(out, "- `{}`", finding.one_line().replace('`', "'"))?;
        }
    }

    let problems: Vec<&Cell> = cells
        .iter()
        .filter(|c| {
            matches!(
                c.outcome,
                CellOutcome::Fail | CellOutcome::Inconclusive | CellOutcome::PolicyError
            )
        })
        .collect();
    if !problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "### What went wrong")?;
        writeln!(out)?;
        for cell in problems {
            let what = match cell.outcome {
                CellOutcome::Fail => format!("expected `{}`, got `{}`", cell.expected, cell.actual),
                CellOutcome::PolicyError => {
                    format!("expected `{}`, a policy fails with an error", cell.expected)
                }
                _ => format!("expected `{}`, inconclusive", cell.expected),
            };
            write!(
                out,
                "- {} **{}** · {} · {}: {what}",
                cell.outcome.symbol(),
                text(&cell.subject.display_name()),
                text(&cell.identity),
                cell.action
            )?;
            if cell.detail.is_empty() {
                writeln!(out)?;
            } else {
                writeln!(out, ": {}", text(&cell.detail))?;
            }
        }
    }

    let ranked = crate::verdict::presumption::ranked(cells);
    if !ranked.is_empty() {
        writeln!(out)?;
        writeln!(out, "### Suspicious (no spec covers them), worst first")?;
        writeln!(out)?;
        for cell in ranked {
            let Some(suspicion) = &cell.suspicion else {
                continue;
            };
            write!(
                out,
                "- {} **{}** · {} · {}: `{}` (`{}`): {}",
                cell.outcome.symbol(),
                text(&cell.subject.display_name()),
                text(&cell.identity),
                cell.action,
                cell.actual,
                suspicion.breach,
                text(&suspicion.reason)
            )?;
            let opened: Vec<String> = suspicion
                .opened_by
                .iter()
                .map(|o| match o.place() {
                    Some(place) => format!("{} at `{place}`", text(&o.what)),
                    None => text(&o.what),
                })
                .collect();
            if opened.is_empty() {
                writeln!(out)?;
            } else {
                writeln!(out, "; opened by {}", opened.join("; "))?;
            }
        }
    }

    for (action, title) in [
        (Action::Execute, "execute"),
        (Action::Call, "call: rows reached past the tables' RLS"),
    ] {
        function_grid(cells, action, title, out)?;
    }

    let grid = Grid::new(cells);
    let (passing, other): (Vec<&GridTable>, Vec<&GridTable>) = grid
        .tables
        .iter()
        .partition(|t| t.cells().all(|c| c.outcome == CellOutcome::Pass));
    for table in other {
        writeln!(out)?;
        writeln!(out, "### {}", text(&table.table.display_name()))?;
        writeln!(out)?;
        grid_table(table, out)?;
    }
    if !passing.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary>{} {} where every cell passes</summary>",
            passing.len(),
            if passing.len() == 1 {
                "table"
            } else {
                "tables"
            }
        )?;
        for table in passing {
            writeln!(out)?;
            writeln!(out, "#### {}", text(&table.table.display_name()))?;
            writeln!(out)?;
            grid_table(table, out)?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "<sub>✓ pass · ✗ fail (expected → actual) · ? unspecified (actual) · ! inconclusive{} — rlsgate {}</sub>",
        if summary.suspicious > 0 { " · ⚑ suspicious (actual)" } else { "" },
        text(&meta.rlsgate)
    )
}

/// The function cells of one action, a row per function: under a heading when one of them
/// did not pass, folded away otherwise.
fn function_grid(
    cells: &[Cell],
    action: Action,
    title: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let functions = FunctionGrid::new(cells, action);
    if functions.functions.is_empty() {
        return Ok(());
    }
    let passing = cells
        .iter()
        .filter(|c| c.subject.is_function() && c.action == action)
        .all(|c| c.outcome == CellOutcome::Pass);
    writeln!(out)?;
    if passing {
        writeln!(
            out,
            "<details><summary>{} functions ({}) where every cell passes</summary>",
            functions.functions.len(),
            text(title)
        )?;
    } else {
        writeln!(out, "### Functions ({})", text(title))?;
    }
    writeln!(out)?;
    write!(out, "| function |")?;
    for identity in &functions.identities {
        write!(out, " {} |", text(identity))?;
    }
    writeln!(out)?;
    writeln!(out, "|---|{}", "---|".repeat(functions.identities.len()))?;
    for (function, row) in &functions.functions {
        write!(out, "| {} |", text(&function.display_name()))?;
        for identity in &functions.identities {
            match row.get(identity) {
                Some(cell) => write!(out, " {} |", text(&cell_text(cell)))?,
                None => write!(out, " |")?,
            }
        }
        writeln!(out)?;
    }
    if passing {
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    Ok(())
}

fn grid_table(table: &GridTable, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "| identity | select | insert | update | delete |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for (identity, row) in &table.identities {
        write!(out, "| {} |", text(identity))?;
        for command in Command::ALL {
            match row.get(&command) {
                Some(cell) => write!(out, " {} |", text(&cell_text(cell)))?,
                None => write!(out, " |")?,
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Escape what Markdown (and HTML inside it) would interpret.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
