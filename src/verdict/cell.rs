//! The judged cell: one subject (a table, a view or a function) x identity x action, with what
//! the specs expected and what the database did, both typed.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::presumption::suspicion::Suspicion;
use super::reach::{Coverage, Reach};
use super::shapes::ShapeNote;
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
    /// No spec covers the cell, and what the database does breaks the presumption
    /// (docs/specs.md, "The presumption"): a likely leak.
    Suspicious,
    /// A policy fails for this identity with an error that is not about the row (it reads a
    /// relation the caller may not read, a helper raises, it recurses): every request of
    /// this kind errors. A broken app feature, whatever the spec says.
    #[serde(rename = "policy_error")]
    PolicyError,
}

impl CellOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CellOutcome::Pass => "pass",
            CellOutcome::Fail => "fail",
            CellOutcome::Unspecified => "unspecified",
            CellOutcome::Inconclusive => "inconclusive",
            CellOutcome::Suspicious => "suspicious",
            CellOutcome::PolicyError => "policy error",
        }
    }

    /// ✓ ✗ ? ! ⚑ ⚠
    pub fn symbol(self) -> &'static str {
        match self {
            CellOutcome::Pass => "✓",
            CellOutcome::Fail => "✗",
            CellOutcome::Unspecified => "?",
            CellOutcome::Inconclusive => "!",
            CellOutcome::Suspicious => "⚑",
            CellOutcome::PolicyError => "⚠",
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
    /// A suspicious cell: what it breaks and what opens it.
    pub suspicion: Option<Suspicion>,
    /// The request shapes probed beside the cell's plain statement.
    pub shapes: Vec<ShapeNote>,
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
    /// Unspecified cells that break the presumption (counted apart from `unspecified`).
    #[serde(default)]
    pub suspicious: usize,
    #[serde(default)]
    pub policy_errors: usize,
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
            CellOutcome::Suspicious => self.suspicious += 1,
            CellOutcome::PolicyError => self.policy_errors += 1,
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
            ", {} passed, {} failed, {} unspecified, ",
            self.passed, self.failed, self.unspecified
        )?;
        if self.suspicious > 0 {
            write!(f, "{} suspicious, ", self.suspicious)?;
        }
        write!(f, "{} inconclusive", self.inconclusive)?;
        if self.policy_errors > 0 {
            write!(f, ", {} policy errors", self.policy_errors)?;
        }
        Ok(())
    }
}

pub fn summarize(cells: &[Cell]) -> Summary {
    Summary::of(cells)
}

/// Findings on any failed, inconclusive, policy-error or suspicious cell, and on unspecified
/// ones unless allowed (a run without specs allows them: only what breaks the presumption fails
/// it).
pub fn status(summary: &Summary, allow_unspecified: bool) -> Status {
    if summary.failed > 0
        || summary.inconclusive > 0
        || summary.policy_errors > 0
        || summary.suspicious > 0
        || (summary.unspecified > 0 && !allow_unspecified)
    {
        Status::Findings
    } else {
        Status::Clean
    }
}
