//! Reports of the access matrix, one file per format. Each writes the same judged cells.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::matrix::{Command, TableRef};
use crate::verdict::{Cell, Summary};

pub mod json;
pub mod junit;
pub mod markdown;
pub mod table;

pub use json::{read, Report, ReportError, JSON_VERSION};

/// About the run, shown in report headers and the JSON `meta` object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunMeta {
    /// The rlsgate version that produced the report.
    pub rlsgate: String,
    /// The project directory as given.
    pub project: String,
    /// `server_version` of the database probed, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<String>,
    /// RFC 3339 UTC time the run started, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Wall-clock milliseconds of the whole run, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Unspecified cells do not fail the gate (`--allow-unspecified`).
    #[serde(default)]
    pub allow_unspecified: bool,
    /// `K/N` when the run covered only share K of N of the tables (`--partition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
}

impl RunMeta {
    pub fn new(project: impl Into<String>) -> RunMeta {
        RunMeta {
            rlsgate: env!("CARGO_PKG_VERSION").to_string(),
            project: project.into(),
            ..RunMeta::default()
        }
    }
}

/// The output formats of `rlsgate test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Junit,
    Markdown,
}

pub fn write(
    format: Format,
    cells: &[Cell],
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table::write(cells, summary, meta, out),
        Format::Json => json::write(cells, summary, meta, out),
        Format::Junit => junit::write(cells, summary, meta, out),
        Format::Markdown => markdown::write(cells, summary, meta, out),
    }
}

/// Cells grouped by table, then by identity, in the order they first appear.
pub(crate) struct Grid<'a> {
    pub tables: Vec<GridTable<'a>>,
}

pub(crate) struct GridTable<'a> {
    pub table: &'a TableRef,
    pub identities: Vec<(&'a str, BTreeMap<Command, &'a Cell>)>,
}

impl<'a> GridTable<'a> {
    pub fn cells(&self) -> impl Iterator<Item = &'a Cell> + '_ {
        self.identities
            .iter()
            .flat_map(|(_, row)| row.values().copied())
    }
}

impl<'a> Grid<'a> {
    pub fn new(cells: &'a [Cell]) -> Grid<'a> {
        let mut tables: Vec<GridTable<'a>> = Vec::new();
        for cell in cells {
            let index = match tables.iter().position(|t| *t.table == cell.table) {
                Some(i) => i,
                None => {
                    tables.push(GridTable {
                        table: &cell.table,
                        identities: Vec::new(),
                    });
                    tables.len() - 1
                }
            };
            let identities = &mut tables[index].identities;
            let row = match identities.iter().position(|(n, _)| *n == cell.identity) {
                Some(i) => i,
                None => {
                    identities.push((&cell.identity, BTreeMap::new()));
                    identities.len() - 1
                }
            };
            identities[row].1.insert(cell.command, cell);
        }
        Grid { tables }
    }
}

/// `✓ own`, `✗ own → all`, `? all`, `! own → ?`: the compact cell text of the grid views.
pub(crate) fn cell_text(cell: &Cell) -> String {
    use crate::verdict::CellOutcome::*;
    let (expected, actual) = (short_scope(&cell.expected), short_scope(&cell.actual));
    match cell.outcome {
        Pass => format!("✓ {expected}"),
        Fail => format!("✗ {expected} → {actual}"),
        Unspecified => format!("? {actual}"),
        Inconclusive if cell.expected == "unspecified" => "! ?".to_string(),
        Inconclusive => format!("! {expected} → ?"),
    }
}

/// A label set of more than three labels shows the first three and how many more.
fn short_scope(text: &str) -> String {
    let Some(inner) = text.strip_prefix('{').and_then(|t| t.split_once('}')) else {
        return text.to_string();
    };
    let (labels, rest) = inner;
    let labels: Vec<&str> = labels.split(", ").collect();
    if labels.len() <= 3 {
        return text.to_string();
    }
    format!(
        "{{{}, +{}}}{rest}",
        labels[..3].join(", "),
        labels.len() - 3
    )
}

/// Colour only when the process-wide choice allows it, NO_COLOR is unset and stdout is a
/// terminal.
pub fn stdout_color() -> bool {
    match anstream::ColorChoice::global() {
        anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi => true,
        anstream::ColorChoice::Never => false,
        anstream::ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
        }
    }
}
