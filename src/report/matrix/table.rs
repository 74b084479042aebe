//! The terminal view: one table per database table (identities x commands, expected vs
//! actual), the summary line, then what went wrong and why.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use comfy_table::{
    presets, Attribute, Cell as TableCell, CellAlignment, Color, ColumnConstraint,
    ContentArrangement, Table, Width,
};

use super::{cell_text, FunctionGrid, Grid, RunMeta};
use crate::matrix::Command;
use crate::terminal::wrap;
use crate::verdict::{Action, Cell, CellOutcome, Summary};

/// The widest the report gets, in columns.
pub const WIDTH: u16 = 100;

pub fn write(
    cells: &[Cell],
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
) -> io::Result<()> {
    let width = u16::try_from(crate::terminal::width()).map_or(WIDTH, |w| w.clamp(60, WIDTH));
    write_with(cells, summary, meta, out, super::stdout_color(), width)
}

/// At most [`WIDTH`] columns, colour as asked.
pub fn write_styled(
    cells: &[Cell],
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    write_with(cells, summary, meta, out, color, WIDTH)
}

/// At most `width` columns (for a narrower terminal), colour as asked.
pub fn write_with(
    cells: &[Cell],
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
    color: bool,
    width: u16,
) -> io::Result<()> {
    let paint = |style: Style, text: &str| {
        if color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    };
    let bold = Style::new().bold();
    let grid = Grid::new(cells);
    for table in &grid.tables {
        writeln!(out, "{}", paint(bold, &table.table.display_name()))?;
        let mut view = grid_view(width, color);
        let mut header = vec![TableCell::new("identity").add_attribute(Attribute::Bold)];
        header.extend(
            Command::ALL
                .iter()
                .map(|c| TableCell::new(c.as_str()).add_attribute(Attribute::Bold)),
        );
        view.set_header(header);
        for (identity, row) in &table.identities {
            let mut line = vec![TableCell::new(identity)];
            for command in Command::ALL {
                line.push(match row.get(&command) {
                    Some(cell) => {
                        let text = TableCell::new(cell_text(cell));
                        if color {
                            text.fg(outcome_color(cell.outcome))
                        } else {
                            text
                        }
                    }
                    None => TableCell::new("").set_alignment(CellAlignment::Center),
                });
            }
            view.add_row(line);
        }
        writeln!(out, "{view}")?;
        writeln!(out)?;
    }
    let functions = FunctionGrid::new(cells, Action::Execute);
    for (title, grid) in [
        ("functions (execute)", &functions),
        (
            "functions (call: rows reached past the tables' RLS)",
            &FunctionGrid::new(cells, Action::Call),
        ),
    ] {
        write_function_grid(out, title, grid, width, color)?;
    }
    for n in &meta.not_called {
        let text = format!("not called: {}: {}", n.function.display_name(), n.reason);
        for (i, line) in wrap(&text, usize::from(width) - 2).into_iter().enumerate() {
            writeln!(out, "{}{line}", if i == 0 { "" } else { "  " })?;
        }
    }
    if !meta.not_called.is_empty() {
        writeln!(out)?;
    }

    let verdict_style =
        if summary.failed + summary.inconclusive + summary.policy_errors + summary.suspicious > 0 {
            Style::new().bold().fg_color(Some(AnsiColor::Red.into()))
        } else if summary.unspecified > 0 && !meta.allow_unspecified {
            Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()))
        } else {
            Style::new().bold().fg_color(Some(AnsiColor::Green.into()))
        };
    for line in wrap(&summary.to_string(), usize::from(width)) {
        writeln!(out, "{}", paint(verdict_style, &line))?;
    }
    let mut legend =
        "legend: ✓ pass  ✗ fail (expected → actual)  ? unspecified (actual)  ! inconclusive"
            .to_string();
    if summary.suspicious > 0 {
        legend.push_str("  ⚑ suspicious (actual)");
    }
    if summary.policy_errors > 0 {
        legend.push_str("  ⚠ policy error");
    }
    for line in wrap_legend(&legend, usize::from(width)) {
        writeln!(out, "{line}")?;
    }

    let listed = |outcome: CellOutcome| {
        cells
            .iter()
            .filter(move |c| c.outcome == outcome)
            .map(move |c| {
                let what = match outcome {
                    CellOutcome::Fail => format!("expected {}, got {}", c.expected, c.actual),
                    _ => format!("expected {}", c.expected),
                };
                (
                    format!(
                        "{} {} · {} · {}",
                        outcome.symbol(),
                        c.subject.display_name(),
                        c.identity,
                        c.action
                    ),
                    what,
                    &c.detail,
                )
            })
    };
    for (outcome, title) in [
        (CellOutcome::Fail, "failures"),
        (
            CellOutcome::Inconclusive,
            "inconclusive (the probe did not test the policy)",
        ),
        (
            CellOutcome::PolicyError,
            "policy errors (a policy fails for the identity with an error)",
        ),
    ] {
        if listed(outcome).next().is_none() {
            continue;
        }
        writeln!(out, "\n{}:", paint(bold, title))?;
        for (head, what, detail) in listed(outcome) {
            let style = Style::new().fg_color(Some(ansi(outcome)));
            let first = wrap(&format!("{head}: {what}"), usize::from(width) - 2);
            for (i, line) in first.iter().enumerate() {
                if i == 0 {
                    let rest = line.strip_prefix(head.as_str()).unwrap_or(line);
                    let painted = if line.starts_with(head.as_str()) {
                        format!("{}{rest}", paint(style, &head))
                    } else {
                        line.clone()
                    };
                    writeln!(out, "  {painted}")?;
                } else {
                    writeln!(out, "    {line}")?;
                }
            }
            for line in wrap(detail, usize::from(width) - 6) {
                writeln!(out, "      {line}")?;
            }
        }
    }

    write_suspicious(cells, out, &paint, width)?;

    let shapes: Vec<(&Cell, &str)> = cells
        .iter()
        .flat_map(|c| {
            c.shapes
                .iter()
                .filter_map(move |s| Some((c, s.differs.as_deref()?)))
        })
        .collect();
    if !shapes.is_empty() {
        writeln!(
            out,
            "\n{}:",
            paint(
                bold,
                "request shapes (what supabase-js also sends, where it differs)"
            )
        )?;
        for (c, differs) in shapes {
            let head = format!(
                "↯ {} · {} · {}",
                c.subject.display_name(),
                c.identity,
                c.action
            );
            writeln!(out, "  {}", paint(bold, &head))?;
            for line in wrap(differs, usize::from(width) - 6) {
                writeln!(out, "      {line}")?;
            }
        }
    }

    if !meta.lint.is_empty() {
        let errors = meta.lint.iter().filter(|f| f.is_error()).count();
        let title = format!(
            "catalog lint: {errors} error(s), {} warning(s)",
            meta.lint.len() - errors
        );
        writeln!(out, "\n{}:", paint(bold, &title))?;
        for finding in &meta.lint {
            let style = Style::new().fg_color(Some(
                if finding.is_error() {
                    AnsiColor::Red
                } else {
                    AnsiColor::Yellow
                }
                .into(),
            ));
            for (i, line) in wrap(&finding.one_line(), usize::from(width) - 6)
                .into_iter()
                .enumerate()
            {
                if i == 0 {
                    writeln!(out, "  {}", paint(style, &line))?;
                } else {
                    writeln!(out, "      {line}")?;
                }
            }
        }
    }

    if summary.unspecified > 0 && meta.without_specs {
        writeln!(out, "\n{}:", paint(bold, "unspecified"))?;
        let note = format!(
            "policy_specs/ declares nothing, so the {} other cells were judged against the presumption only (docs/specs.md#the-presumption) and do not fail the gate; `rlsgate snapshot` writes them as specs",
            summary.unspecified
        );
        for line in wrap(&note, usize::from(width) - 2) {
            writeln!(out, "  {line}")?;
        }
    } else if summary.unspecified > 0 {
        let note = if meta.allow_unspecified {
            "allowed by --allow-unspecified"
        } else {
            "add them to policy_specs/ (`rlsgate snapshot` writes them) or pass --allow-unspecified"
        };
        writeln!(out, "\n{}:", paint(bold, "unspecified"))?;
        for line in wrap(note, usize::from(width) - 2) {
            writeln!(out, "  {line}")?;
        }
        for table in &grid.tables {
            let parts: Vec<String> = table
                .identities
                .iter()
                .filter_map(|(identity, row)| {
                    let commands: Vec<&str> = row
                        .values()
                        .filter(|c| c.outcome == CellOutcome::Unspecified)
                        .map(|c| c.action.as_str())
                        .collect();
                    (!commands.is_empty()).then(|| {
                        if commands.len() == Command::ALL.len() {
                            identity.to_string()
                        } else {
                            format!("{identity} ({})", commands.join(", "))
                        }
                    })
                })
                .collect();
            if !parts.is_empty() {
                let text = format!("{}: {}", table.table.display_name(), parts.join(", "));
                for (i, line) in wrap(&text, usize::from(width) - 4).into_iter().enumerate() {
                    writeln!(out, "{}{line}", if i == 0 { "  ? " } else { "      " })?;
                }
            }
        }
        for (function, row) in &functions.functions {
            let who: Vec<&str> = functions
                .identities
                .iter()
                .copied()
                .filter(|i| {
                    row.get(i)
                        .is_some_and(|c| c.outcome == CellOutcome::Unspecified)
                })
                .collect();
            if !who.is_empty() {
                let text = format!("{} (execute): {}", function.display_name(), who.join(", "));
                for (i, line) in wrap(&text, usize::from(width) - 4).into_iter().enumerate() {
                    writeln!(out, "{}{line}", if i == 0 { "  ? " } else { "      " })?;
                }
            }
        }
    }
    Ok(())
}

fn write_function_grid(
    out: &mut dyn Write,
    title: &str,
    functions: &FunctionGrid,
    width: u16,
    color: bool,
) -> io::Result<()> {
    if functions.functions.is_empty() {
        return Ok(());
    }
    let bold = Style::new().bold();
    if color {
        writeln!(out, "{bold}{title}{bold:#}")?;
    } else {
        writeln!(out, "{title}")?;
    }
    let mut view = grid_view(width, color);
    let mut header = vec![TableCell::new("function").add_attribute(Attribute::Bold)];
    header.extend(
        functions
            .identities
            .iter()
            .map(|i| TableCell::new(i).add_attribute(Attribute::Bold)),
    );
    view.set_header(header);
    for (function, row) in &functions.functions {
        let mut line = vec![TableCell::new(function.display_name())];
        for identity in &functions.identities {
            line.push(match row.get(identity) {
                Some(cell) => {
                    let text = TableCell::new(cell_text(cell));
                    if color {
                        text.fg(outcome_color(cell.outcome))
                    } else {
                        text
                    }
                }
                None => TableCell::new(""),
            });
        }
        view.add_row(line);
    }
    let longest = functions
        .functions
        .iter()
        .map(|(f, _)| f.display_name().chars().count())
        .max()
        .unwrap_or(0);
    if let Some(column) = view.column_mut(0) {
        let floor = (longest + 2).min(usize::from(width) / 3) as u16;
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(floor)));
    }
    writeln!(out, "{view}")?;
    writeln!(out)
}

fn outcome_color(outcome: CellOutcome) -> Color {
    match outcome {
        CellOutcome::Pass => Color::Green,
        CellOutcome::Fail => Color::Red,
        CellOutcome::Unspecified => Color::Yellow,
        CellOutcome::Inconclusive => Color::Magenta,
        CellOutcome::Suspicious => Color::Red,
        CellOutcome::PolicyError => Color::DarkYellow,
    }
}

fn ansi(outcome: CellOutcome) -> anstyle::Color {
    match outcome {
        CellOutcome::Pass => AnsiColor::Green,
        CellOutcome::Fail => AnsiColor::Red,
        CellOutcome::Unspecified => AnsiColor::Yellow,
        CellOutcome::Inconclusive => AnsiColor::Magenta,
        CellOutcome::Suspicious => AnsiColor::Red,
        CellOutcome::PolicyError => AnsiColor::BrightRed,
    }
    .into()
}

/// The suspicious cells, worst first: the breach, the cell, why, and what opens it.
fn write_suspicious(
    cells: &[Cell],
    out: &mut dyn Write,
    paint: &dyn Fn(Style, &str) -> String,
    width: u16,
) -> io::Result<()> {
    let ranked = crate::verdict::presumption::ranked(cells);
    if ranked.is_empty() {
        return Ok(());
    }
    let title = "suspicious (no spec covers them, and they break the presumption), worst first";
    writeln!(out, "\n{}:", paint(Style::new().bold(), title))?;
    let style = Style::new().fg_color(Some(ansi(CellOutcome::Suspicious)));
    let width = usize::from(width);
    for cell in ranked {
        let Some(suspicion) = &cell.suspicion else {
            continue;
        };
        let head = format!(
            "{} {} · {} · {}",
            CellOutcome::Suspicious.symbol(),
            cell.subject.display_name(),
            cell.identity,
            cell.action
        );
        writeln!(
            out,
            "  {}: {} [{}]",
            paint(style, &head),
            cell.actual,
            suspicion.breach
        )?;
        for line in wrap(&suspicion.reason, width - 6) {
            writeln!(out, "      {line}")?;
        }
        for opening in &suspicion.opened_by {
            for (i, line) in wrap(&opening.text(), width - 16).into_iter().enumerate() {
                let lead = if i == 0 { "opened by " } else { "          " };
                writeln!(out, "      {lead}{line}")?;
            }
        }
    }
    Ok(())
}

/// The legend keeps its double spaces on one line, or breaks between its entries.
fn wrap_legend(legend: &str, width: usize) -> Vec<String> {
    if legend.chars().count() <= width {
        return vec![legend.to_string()];
    }
    let mut lines: Vec<String> = Vec::new();
    for part in legend.split("  ") {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 2 + part.chars().count() <= width => {
                line.push_str("  ");
                line.push_str(part);
            }
            _ => lines.push(part.to_string()),
        }
    }
    lines
}

/// An empty comfy-table in the report's style, `width` columns wide.
fn grid_view(width: u16, color: bool) -> Table {
    let mut view = Table::new();
    view.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    if color {
        view.enforce_styling();
    } else {
        view.force_no_tty();
    }
    view
}
