//! The judged cell: one subject (a table, a view or a function) x identity x action, with what
//! the specs expected and what the database did, both typed.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::reach::{Coverage, Reach};
use super::subject::{Action, Subject};
use crate::matrix::{Command, Probe, TableRef};
use crate::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellOutcome {
    Pass,
    Fail,
    Unspecified,
    Inconclusive,
}

impl CellOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CellOutcome::Pass => "pass",
            CellOutcome::Fail => "fail",
            CellOutcome::Unspecified => "unspecified",
            CellOutcome::Inconclusive => "inconclusive",
        }
    }

    /// ✓ ✗ ? !
    pub fn symbol(self) -> &'static str {
        match self {
            CellOutcome::Pass => "✓",
            CellOutcome::Fail => "✗",
            CellOutcome::Unspecified => "?",
            CellOutcome::Inconclusive => "!",
        }
    }
}

/// One subject x identity x action, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub subject: Subject,
    pub identity: String,
    pub action: Action,
    /// What the specs declare, or [`Reach::Unspecified`].
    pub expected: Reach,
    /// What the database did, or [`Reach::Inconclusive`].
    pub actual: Reach,
    /// SELECT, UPDATE, DELETE: the labels of the rows the identity reached (when the probes
    /// were conclusive).
    pub reached: Option<BTreeSet<String>>,
    /// SELECT, UPDATE, DELETE: the labels of the rows the declared scope stands for, for this
    /// identity on this table.
    pub allowed: Option<BTreeSet<String>>,
    pub outcome: CellOutcome,
    /// Why: which rows differ, the error of an inconclusive probe, what to add to a spec.
    pub detail: String,
    pub probes: Vec<Probe>,
}

impl Cell {
    pub fn relation(&self) -> Option<&TableRef> {
        self.subject.relation()
    }

    /// The cell's command, for a relation cell.
    pub fn command(&self) -> Option<Command> {
        self.action.command()
    }

    /// The actual reach goes beyond the expected one (`None`: cannot tell, e.g. unspecified).
    pub fn wider_than_expected(&self) -> Option<bool> {
        Coverage::new(&self.actual, self.reached.as_ref())
            .exceeds(&Coverage::new(&self.expected, self.allowed.as_ref()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub cells: usize,
    pub passed: usize,
    pub failed: usize,
    pub unspecified: usize,
    pub inconclusive: usize,
    /// Of `cells`, how many are function cells.
    #[serde(default)]
    pub functions: usize,
}

impl Summary {
    pub fn of(cells: &[Cell]) -> Summary {
        let mut summary = Summary::default();
        for cell in cells {
            summary.count(cell);
        }
        summary
    }

    pub fn count(&mut self, cell: &Cell) {
        self.cells += 1;
        if cell.subject.is_function() {
            self.functions += 1;
        }
        match cell.outcome {
            CellOutcome::Pass => self.passed += 1,
            CellOutcome::Fail => self.failed += 1,
            CellOutcome::Unspecified => self.unspecified += 1,
            CellOutcome::Inconclusive => self.inconclusive += 1,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cells", self.cells)?;
        if self.functions > 0 {
            write!(
                f,
                " ({} table, {} function)",
                self.cells - self.functions,
                self.functions
            )?;
        }
        write!(
            f,
            ", {} passed, {} failed, {} unspecified, {} inconclusive",
            self.passed, self.failed, self.unspecified, self.inconclusive
        )
    }
}

pub fn summarize(cells: &[Cell]) -> Summary {
    Summary::of(cells)
}

/// Findings on any failed or inconclusive cell, and on unspecified ones unless allowed.
pub fn status(summary: &Summary, allow_unspecified: bool) -> Status {
    if summary.failed > 0
        || summary.inconclusive > 0
        || (summary.unspecified > 0 && !allow_unspecified)
    {
        Status::Findings
    } else {
        Status::Clean
    }
}
