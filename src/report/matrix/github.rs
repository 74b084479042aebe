//! GitHub Actions workflow commands for `rlsgate test`: an `::error` annotation per cell that
//! fails the gate and per catalog lint error (`::warning` for lint warnings), on the line of
//! its first place, then the summary as a plain line.

use std::io::{self, Write};

use super::findings::{findings, Level};
use super::RunMeta;
use crate::report::lint::github::{escape_data, escape_property};
use crate::verdict::{Cell, Summary};

pub fn write(cells: &[Cell], meta: &RunMeta, out: &mut dyn Write) -> io::Result<()> {
    for finding in findings(cells, meta) {
        let command = match finding.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let place = &finding.places[0];
        let mut props = vec![
            format!("file={}", escape_property(&place.file)),
            format!("line={}", place.line),
        ];
        if place.end_line > place.line {
            props.push(format!("endLine={}", place.end_line));
        }
        let title = match finding.cell {
            Some(_) => format!("rlsgate {}: {}", finding.kind.id(), finding.title),
            None => format!("rlsgate {}", finding.kind.id()),
        };
        props.push(format!("title={}", escape_property(&title)));
        writeln!(
            out,
            "::{command} {}::{}",
            props.join(","),
            escape_data(&finding.message)
        )?;
    }
    let lint_errors = meta.lint.iter().filter(|f| f.is_error()).count();
    let mut line = format!("rlsgate: {}", Summary::of(cells));
    if !meta.lint.is_empty() {
        line.push_str(&format!(
            "; catalog lint: {lint_errors} error(s), {} warning(s)",
            meta.lint.len() - lint_errors
        ));
    }
    writeln!(out, "{line}")
}
