//! The JSON report: a stable, versioned contract (see docs/specs.md, "JSON report").

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::{Judged, RunMeta};
use crate::function_verdict::FunctionCell;
use crate::matrix::{Command, Probe, TableRef};
use crate::verdict::{Cell, CellOutcome, Summary};

/// Bumped only on a breaking change to the shape below; fields may be added within a version.
pub const JSON_VERSION: u32 = 1;

/// A whole `rlsgate test --format json` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub meta: RunMeta,
    pub cells: Vec<Cell>,
    pub functions: Vec<FunctionCell>,
    pub summary: Summary,
}

#[derive(Serialize, Deserialize)]
struct JsonReport {
    version: u32,
    meta: RunMeta,
    cells: Vec<JsonCell>,
    /// Function EXECUTE cells; absent in reports of older versions.
    #[serde(default)]
    functions: Vec<FunctionCell>,
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
    outcome: CellOutcome,
    detail: String,
    #[serde(default)]
    probes: Vec<Probe>,
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
}

pub fn write(
    judged: Judged,
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
) -> io::Result<()> {
    let report = JsonReport {
        version: JSON_VERSION,
        meta: meta.clone(),
        cells: judged
            .cells
            .iter()
            .map(|c| JsonCell {
                table: c.table.to_string(),
                identity: c.identity.clone(),
                command: c.command,
                expected: c.expected.clone(),
                actual: c.actual.clone(),
                outcome: c.outcome,
                detail: c.detail.clone(),
                probes: c.probes.clone(),
            })
            .collect(),
        functions: judged.functions.to_vec(),
        summary: *summary,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// Read a report written by [`write`] (for `rlsgate diff` and `merge`).
pub fn read(json: &str) -> Result<Report, ReportError> {
    let raw: JsonReport = serde_json::from_str(json)?;
    if raw.version > JSON_VERSION {
        return Err(ReportError::Version { found: raw.version });
    }
    let cells = raw
        .cells
        .into_iter()
        .enumerate()
        .map(|(index, c)| {
            let (schema, name) = c.table.split_once('.').ok_or_else(|| ReportError::Table {
                index,
                table: c.table.clone(),
            })?;
            Ok(Cell {
                table: TableRef::new(schema, name),
                identity: c.identity,
                command: c.command,
                expected: c.expected,
                actual: c.actual,
                outcome: c.outcome,
                detail: c.detail,
                probes: c.probes,
            })
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    Ok(Report {
        version: raw.version,
        meta: raw.meta,
        cells,
        functions: raw.functions,
        summary: raw.summary,
    })
}
