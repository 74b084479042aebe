//! The JSON report: a stable, versioned contract (see docs/specs.md, "JSON report").

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::RunMeta;
use crate::matrix::{Command, FunctionRef, Probe, TableRef};
use crate::verdict::{Action, Cell, CellOutcome, Reach, ShapeNote, Subject, Summary, Suspicion};

/// Bumped only on a breaking change to the shape below; fields may be added within a version.
pub const JSON_VERSION: u32 = 1;

/// A whole `rlsgate test --format json` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub version: u32,
    pub meta: RunMeta,
    /// The cells of tables and views.
    pub cells: Vec<Cell>,
    /// The cells of functions.
    pub functions: Vec<Cell>,
    pub summary: Summary,
}

impl Report {
    /// Every cell: tables and views, then functions.
    pub fn all_cells(&self) -> impl Iterator<Item = &Cell> {
        self.cells.iter().chain(&self.functions)
    }
}

#[derive(Serialize, Deserialize)]
struct JsonReport {
    version: u32,
    meta: RunMeta,
    cells: Vec<JsonCell>,
    /// Function EXECUTE cells; absent in reports of older versions.
    #[serde(default)]
    functions: Vec<JsonFunctionCell>,
    summary: Summary,
}

#[derive(Serialize, Deserialize)]
struct JsonCell {
    /// `schema.name`.
    table: String,
    identity: String,
    command: Command,
    expected: String,
    actual: String,
    /// The labels of the rows reached (select, update, delete); absent in reports of older
    /// versions and for inserts and inconclusive cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reached: Option<BTreeSet<String>>,
    /// The labels of the rows the declared scope stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allowed: Option<BTreeSet<String>>,
    outcome: CellOutcome,
    detail: String,
    #[serde(default)]
    probes: Vec<Probe>,
    /// A suspicious cell: the breach (`anon-read`, ...), why, and what opens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    suspicion: Option<Suspicion>,
    /// The request shapes (`.insert().select()`, `.upsert()`) probed beside the plain
    /// statement, and how they differ from it (added within version 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    shapes: Vec<ShapeNote>,
}

#[derive(Serialize, Deserialize)]
struct JsonFunctionCell {
    /// `schema.name(argument types)`.
    function: FunctionRef,
    identity: String,
    /// `execute` (may it call the function) or `call` (what its calls reach past the tables'
    /// RLS); absent in reports of older versions, where every function cell is `execute`.
    #[serde(default = "execute")]
    action: Action,
    /// execute: `allow`, `deny` or `unspecified`; call: `reads SCOPE, writes SCOPE` or
    /// `unspecified`.
    expected: String,
    /// execute: `allow` or `deny`; call: `bypass`, `within` or `inconclusive`.
    actual: String,
    /// call: the rows reached past the tables' RLS, as `table:label`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reached: Option<BTreeSet<String>>,
    /// call: each call made, its argument (`target`) and how it ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    probes: Vec<Probe>,
    outcome: CellOutcome,
    /// Why it failed, or the line to add when unspecified; empty on a pass.
    detail: String,
    /// Runs with its owner's rights (and so past RLS) whoever calls it.
    #[serde(default)]
    security_definer: bool,
    /// A suspicious cell: the breach (`anon-call`, `user-call`), why, and what opens it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    suspicion: Option<Suspicion>,
}

fn execute() -> Action {
    Action::Execute
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("not an rlsgate JSON report: {0}")]
    Parse(#[from] serde_json::Error),
    #[error(
        "report version {found} is newer than this rlsgate understands (up to {JSON_VERSION})"
    )]
    Version { found: u32 },
    #[error("cell {index}: table `{table}` is not `schema.name`")]
    Table { index: usize, table: String },
    #[error("{what} {index}: `{words}` is not a {action} scope")]
    Reach {
        what: &'static str,
        index: usize,
        action: Action,
        words: String,
    },
}

pub fn write(
    cells: &[Cell],
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut report = JsonReport {
        version: JSON_VERSION,
        meta: meta.clone(),
        cells: Vec::new(),
        functions: Vec::new(),
        summary: *summary,
    };
    for c in cells {
        match (&c.subject, c.command()) {
            (Subject::Relation(table), Some(command)) => report.cells.push(JsonCell {
                table: table.to_string(),
                identity: c.identity.clone(),
                command,
                expected: c.expected.to_string(),
                actual: c.actual.to_string(),
                reached: c.reached.clone(),
                allowed: c.allowed.clone(),
                outcome: c.outcome,
                detail: c.detail.clone(),
                probes: c.probes.clone(),
                suspicion: c.suspicion.clone(),
                shapes: c.shapes.clone(),
            }),
            (
                Subject::Function {
                    function,
                    security_definer,
                },
                _,
            ) => report.functions.push(JsonFunctionCell {
                function: function.clone(),
                identity: c.identity.clone(),
                action: c.action,
                expected: c.expected.to_string(),
                actual: c.actual.to_string(),
                reached: c.reached.clone(),
                probes: c.probes.clone(),
                outcome: c.outcome,
                detail: c.detail.clone(),
                security_definer: *security_definer,
                suspicion: c.suspicion.clone(),
            }),
            (Subject::Relation(_), None) => {
                unreachable!("a relation cell is a select, insert, update or delete")
            }
        }
    }
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// Read a report written by [`write`] (for `rlsgate diff` and `merge`).
pub fn read(json: &str) -> Result<Report, ReportError> {
    let raw: JsonReport = serde_json::from_str(json)?;
    if raw.version > JSON_VERSION {
        return Err(ReportError::Version { found: raw.version });
    }
    let reach = |what, index, action, words: String| {
        Reach::read(action, &words).ok_or(ReportError::Reach {
            what,
            index,
            action,
            words,
        })
    };
    let cells = raw
        .cells
        .into_iter()
        .enumerate()
        .map(|(index, c)| {
            let (schema, name) = c.table.split_once('.').ok_or_else(|| ReportError::Table {
                index,
                table: c.table.clone(),
            })?;
            let action = Action::from(c.command);
            Ok(Cell {
                subject: Subject::Relation(TableRef::new(schema, name)),
                identity: c.identity,
                action,
                expected: reach("cell", index, action, c.expected)?,
                actual: reach("cell", index, action, c.actual)?,
                reached: c.reached,
                allowed: c.allowed,
                outcome: c.outcome,
                detail: c.detail,
                probes: c.probes,
                suspicion: c.suspicion,
                shapes: c.shapes,
            })
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    let functions = raw
        .functions
        .into_iter()
        .enumerate()
        .map(|(index, c)| {
            Ok(Cell {
                subject: Subject::function(c.function, c.security_definer),
                identity: c.identity,
                action: c.action,
                expected: reach("function cell", index, c.action, c.expected)?,
                actual: reach("function cell", index, c.action, c.actual)?,
                reached: c.reached,
                allowed: None,
                outcome: c.outcome,
                detail: c.detail,
                probes: c.probes,
                suspicion: c.suspicion,
                shapes: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    Ok(Report {
        version: raw.version,
        meta: raw.meta,
        cells,
        functions,
        summary: raw.summary,
    })
}
