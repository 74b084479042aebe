//! Reports of the access matrix, one file per format. Each writes the same judged cells.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::matrix::{Command, FunctionRef, Scope, TableRef};
use crate::verdict::{Action, Cell, Reach, Summary};

pub mod findings;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod places;
pub mod sarif;
pub mod table;

pub use json::{read, Report, ReportError, JSON_VERSION};
pub use places::{Locator, Places};

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
    /// Unspecified cells do not fail the gate (`--allow-unspecified`, or no specs).
    #[serde(default)]
    pub allow_unspecified: bool,
    /// The project declares no specs: every cell was judged against the presumption only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub without_specs: bool,
    /// Catalog lint findings of the migrated database (warnings and errors). Errors fail
    /// the gate like failed cells.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lint: Vec<LintFinding>,
    /// `K/N` when the run covered only share K of N of the tables (`--partition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// Where each cell that is not a pass is declared and opened in the repository (code
    /// scanning and annotations show it there).
    #[serde(default, skip_serializing_if = "Places::is_empty")]
    pub places: Places,
    /// Callable functions the call probes did not call, and why (arguments rlsgate cannot
    /// make).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_called: Vec<crate::probe::calls::NotCalled>,
}

/// A catalog lint finding as the access-matrix reports carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintFinding {
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default)]
    pub line: u32,
    #[serde(default)]
    pub column: u32,
    pub message: String,
}

impl LintFinding {
    pub fn is_error(&self) -> bool {
        self.severity == "error"
    }

    /// `file:line:col: severity[rule]: message`
    pub fn one_line(&self) -> String {
        let place = match &self.file {
            Some(f) => format!("{f}:{}:{}: ", self.line, self.column),
            None => String::new(),
        };
        format!("{place}{}[{}]: {}", self.severity, self.rule, self.message)
    }
}

impl RunMeta {
    /// Meta for a run starting now.
    pub fn new(project: impl Into<String>) -> RunMeta {
        RunMeta {
            rlsgate: env!("CARGO_PKG_VERSION").to_string(),
            project: project.into(),
            started_at: Some(rfc3339(std::time::SystemTime::now())),
            ..RunMeta::default()
        }
    }
}

/// `2026-11-22T00:31:05Z` (UTC, whole seconds).
pub fn rfc3339(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_dates() {
        let at = |s: u64| super::rfc3339(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_305_600 + 3_661), "2026-11-22T01:01:01Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}

/// The output formats of `rlsgate test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Junit,
    Markdown,
    Sarif,
    Github,
}

/// Writes the judged cells (tables, views and functions, in the order of the run) to stdout:
/// the table in the terminal's width and colours.
pub fn write(
    format: Format,
    cells: &[Cell],
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table::write(cells, summary, meta, out),
        other => write_file(other, cells, summary, meta, out),
    }
}

/// [`write`] for a file: the table without colour, at its full width.
pub fn write_file(
    format: Format,
    cells: &[Cell],
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table::write_styled(cells, summary, meta, out, false),
        Format::Json => json::write(cells, summary, meta, out),
        Format::Junit => junit::write(cells, summary, meta, out),
        Format::Markdown => markdown::write(cells, summary, meta, out),
        Format::Sarif => sarif::write(cells, meta, out),
        Format::Github => github::write(cells, meta, out),
    }
}

/// Function cells as rows of functions x columns of identities, in the order they appear.
pub(crate) struct FunctionGrid<'a> {
    pub identities: Vec<&'a str>,
    pub functions: Vec<(&'a FunctionRef, BTreeMap<&'a str, &'a Cell>)>,
}

impl<'a> FunctionGrid<'a> {
    /// The function cells of `action` (execute or call) among `cells`.
    pub fn new(cells: &'a [Cell], action: crate::verdict::Action) -> FunctionGrid<'a> {
        let mut grid = FunctionGrid {
            identities: Vec::new(),
            functions: Vec::new(),
        };
        for cell in cells.iter().filter(|c| c.action == action) {
            let Some(function) = cell.subject.as_function() else {
                continue;
            };
            if !grid.identities.contains(&cell.identity.as_str()) {
                grid.identities.push(&cell.identity);
            }
            match grid.functions.iter_mut().find(|(f, _)| *f == function) {
                Some((_, row)) => {
                    row.insert(&cell.identity, cell);
                }
                None => grid
                    .functions
                    .push((function, BTreeMap::from([(cell.identity.as_str(), cell)]))),
            }
        }
        let first_seen = |identity: &str| cells.iter().position(|c| c.identity == identity);
        grid.identities.sort_by_key(|identity| first_seen(identity));
        grid
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
    /// The relation cells among `cells`.
    pub fn new(cells: &'a [Cell]) -> Grid<'a> {
        let mut tables: Vec<GridTable<'a>> = Vec::new();
        for cell in cells {
            let (Some(table), Some(command)) = (cell.relation(), cell.command()) else {
                continue;
            };
            let index = match tables.iter().position(|t| t.table == table) {
                Some(i) => i,
                None => {
                    tables.push(GridTable {
                        table,
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
            identities[row].1.insert(command, cell);
        }
        Grid { tables }
    }
}

/// `✓ own`, `✗ own → all`, `? all`, `! own → ?`, `⚠ none → error`, `⚑ all`, `✓ allow`: the compact
/// cell text of the grid views.
pub(crate) fn cell_text(cell: &Cell) -> String {
    use crate::verdict::CellOutcome::*;
    let (expected, actual) = (short_reach(&cell.expected), short_reach(&cell.actual));
    match cell.outcome {
        Pass if cell.expected == Reach::Unspecified || cell.action == Action::Call => {
            format!("✓ {actual}")
        }
        Pass => format!("✓ {expected}"),
        Fail => format!("✗ {expected} → {actual}"),
        Unspecified => format!("? {actual}"),
        Suspicious => format!("⚑ {actual}"),
        Inconclusive if cell.expected == Reach::Unspecified => "! ?".to_string(),
        Inconclusive => format!("! {expected} → ?"),
        PolicyError if cell.expected == Reach::Unspecified => "⚠ error".to_string(),
        PolicyError => format!("⚠ {expected} → error"),
    }
}

/// A label set of more than three labels shows the first three and how many more.
fn short_reach(reach: &Reach) -> String {
    match reach {
        Reach::Rows {
            scope: Scope::Labels(labels),
            transfer,
        } if labels.len() > 3 => format!(
            "{{{}, +{}}}{}",
            labels
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            labels.len() - 3,
            if *transfer { "+transfer" } else { "" }
        ),
        reach => reach.to_string(),
    }
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
