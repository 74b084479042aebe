//! The gate's findings as code scanning and annotations show them: one per cell that fails
//! the gate (a rule per kind of failure) and one per catalog lint finding, each at the places
//! of the repository it is about, never at none.

use crate::verdict::{Cell, CellOutcome, Coverage};

use super::places::Place;
use super::RunMeta;

/// The kinds of cell finding. A new cell outcome gets its rule here: [`CellRule::of`] matches
/// every outcome, so the compiler points at the place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellRule {
    AccessWidened,
    AccessChanged,
    AccessNarrowed,
    Inconclusive,
    PolicyError,
    Unspecified,
    /// No spec covers the cell and it breaks the presumption (docs/specs.md).
    Suspicious,
}

impl CellRule {
    pub const ALL: [CellRule; 7] = [
        CellRule::AccessWidened,
        CellRule::AccessChanged,
        CellRule::AccessNarrowed,
        CellRule::Inconclusive,
        CellRule::PolicyError,
        CellRule::Unspecified,
        CellRule::Suspicious,
    ];

    /// The rule a cell breaks, if it fails the gate (`allow_unspecified`: unspecified cells
    /// do not).
    pub fn of(cell: &Cell, allow_unspecified: bool) -> Option<CellRule> {
        match cell.outcome {
            CellOutcome::Pass => None,
            CellOutcome::Fail => Some(match cell.wider_than_expected() {
                Some(true) => CellRule::AccessWidened,
                _ if narrower_than_expected(cell) == Some(true) => CellRule::AccessNarrowed,
                _ => CellRule::AccessChanged,
            }),
            CellOutcome::Inconclusive => Some(CellRule::Inconclusive),
            CellOutcome::PolicyError => Some(CellRule::PolicyError),
            CellOutcome::Unspecified if allow_unspecified => None,
            CellOutcome::Unspecified => Some(CellRule::Unspecified),
            CellOutcome::Suspicious => Some(CellRule::Suspicious),
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            CellRule::AccessWidened => "access-widened",
            CellRule::AccessChanged => "access-changed",
            CellRule::AccessNarrowed => "access-narrowed",
            CellRule::Inconclusive => "inconclusive",
            CellRule::PolicyError => "policy-error",
            CellRule::Unspecified => "unspecified",
            CellRule::Suspicious => "suspicious",
        }
    }

    /// The SARIF `name`: the id in UpperCamelCase.
    pub fn name(self) -> String {
        self.id()
            .split('-')
            .map(|w| {
                let mut chars = w.chars();
                chars.next().map_or_else(String::new, |c| {
                    c.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
    }

    pub fn summary(self) -> &'static str {
        match self {
            CellRule::AccessWidened => {
                "The database lets an identity reach more than policy_specs/ declares"
            }
            CellRule::AccessChanged => {
                "The database gives an identity other access than policy_specs/ declares"
            }
            CellRule::AccessNarrowed => {
                "The database lets an identity reach less than policy_specs/ declares"
            }
            CellRule::Inconclusive => "A probe failed for another reason than access control",
            CellRule::PolicyError => "A policy fails for an identity with an error",
            CellRule::Unspecified => "No spec declares this cell",
            CellRule::Suspicious => {
                "No spec declares this cell, and the database lets an identity reach rows of \
                 other users or tenants (or anon write, or call a SECURITY DEFINER function)"
            }
        }
    }

    /// What it means and what to do (Markdown, shown by code scanning).
    pub fn help(self) -> &'static str {
        match self {
            CellRule::AccessWidened => {
                "An identity can read, write or call more than the specs say it may: rows of \
                other users or tenants, rows of everyone, ownership transfers, or a function. \
                This is how data leaks. The result points at the policy or statement that grants \
                the access and at the spec line that declares less.\n\nFix the policy (or the \
                grant, or enable row level security); if the wider access is intended, change \
                the spec line."
            }
            CellRule::AccessChanged => {
                "An identity reaches other rows than the specs say (some more, some fewer, or \
                rows the comparison cannot order). Read the cell's detail: which rows differ. \
                Fix the policy, or the spec line if the new access is intended."
            }
            CellRule::AccessNarrowed => {
                "An identity can no longer do what the specs say it may: a policy was dropped or \
                tightened, a grant revoked. Features built on it break. The result points at the \
                spec line and at the last statement that names the table.\n\nRestore the \
                access, or narrow the spec line if the change is intended."
            }
            CellRule::Inconclusive => {
                "The probe failed for a reason other than row level security or a privilege (a \
                NOT NULL, foreign key, check or unique violation, a recursive policy, a \
                timeout), so it did not test the policy. An inconclusive cell is never a pass. \
                The detail names the error; declare fixture rows (fixtures/) or fix the schema \
                so the probe can run."
            }
            CellRule::PolicyError => {
                "A policy of the table raises an error for this identity that is not about the \
                row: it reads a table or calls a function the caller may not (`permission \
                denied for table users`), a function it calls raises, or it recurses. Every \
                request of this kind fails with that error, whatever the spec declares: a broken \
                app feature. The detail names the error.\n\nRead what the caller may read (a \
                SECURITY DEFINER helper with `set search_path = ''`), limit the policy with \
                `TO` to the roles it is meant for, or stop the helper from raising."
            }
            CellRule::Unspecified => {
                "No spec line covers this table (or function) for this identity, so the gate \
                cannot tell right from wrong. Declare it in policy_specs/ (`rlsgate snapshot` \
                writes what the database does today, for review), or run with \
                --allow-unspecified."
            }
            CellRule::Suspicious => {
                "No spec covers this cell, and what the database does breaks the presumption \
                rlsgate judges uncovered cells by: anon reads nothing that belongs to a user or a \
                tenant and writes nothing; a signed-in user reads, writes, inserts or hands away \
                no row of another user or tenant; no SECURITY DEFINER function is callable by anon, \
                or by any user when it never asks who is calling. The result points at the \
                policy, grant or statement that opens it.\n\nFix it, or declare the cell in \
                policy_specs/ if the access is intended (`rlsgate snapshot --accept-suspicious` \
                writes it)."
            }
        }
    }

    /// GitHub's `security-severity` (9.0+ critical, 7.0+ high, 4.0+ medium).
    pub fn security_severity(self) -> f32 {
        match self {
            CellRule::AccessWidened => 9.0,
            CellRule::AccessChanged => 7.5,
            CellRule::PolicyError => 6.0,
            CellRule::Inconclusive => 5.0,
            CellRule::Unspecified => 4.0,
            CellRule::AccessNarrowed => 3.0,
            CellRule::Suspicious => 8.0,
        }
    }
}

/// The declared reach goes beyond the actual one (`None`: cannot tell).
fn narrower_than_expected(cell: &Cell) -> Option<bool> {
    Coverage::new(&cell.expected, cell.allowed.as_ref())
        .exceeds(&Coverage::new(&cell.actual, cell.reached.as_ref()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

/// What a finding is about.
#[derive(Debug, Clone)]
pub enum Kind {
    Cell(CellRule),
    /// A catalog lint finding, by rule id.
    Lint(String),
}

impl Kind {
    pub fn id(&self) -> &str {
        match self {
            Kind::Cell(rule) => rule.id(),
            Kind::Lint(id) => id,
        }
    }
}

/// One finding, at one or more places (the first is where it shows).
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub kind: Kind,
    /// The cell, for a cell finding.
    pub cell: Option<&'a Cell>,
    pub level: Level,
    /// `messages · alice · select`, or the lint rule's object.
    pub title: String,
    /// What happened and why, then where each place is and what it is.
    pub message: String,
    /// What stays the same across runs: the cell (subject, identity, action) or the lint
    /// finding's rule and message.
    pub identity: String,
    pub places: Vec<Place>,
}

/// Every finding of a run: the cells that fail the gate, in the order of the report, then
/// the catalog lint findings.
pub fn findings<'a>(cells: &'a [Cell], meta: &RunMeta) -> Vec<Finding<'a>> {
    let fallback = meta.places.fallback_place(&meta.project);
    let mut out = Vec::new();
    for cell in cells {
        let Some(rule) = CellRule::of(cell, meta.allow_unspecified) else {
            continue;
        };
        let mut places = meta.places.of(cell).to_vec();
        if places.is_empty() {
            places.push(fallback.clone());
        }
        let title = format!(
            "{} · {} · {}",
            cell.subject.display_name(),
            cell.identity,
            cell.action
        );
        let mut message = match cell.outcome {
            CellOutcome::Suspicious => format!(
                "{title}: suspicious ({}): {}",
                cell.suspicion
                    .as_ref()
                    .map_or("no spec", |s| s.breach.as_str()),
                cell.actual
            ),
            CellOutcome::Unspecified => format!("{title}: unspecified"),
            CellOutcome::Inconclusive => {
                format!("{title}: inconclusive (expected {})", cell.expected)
            }
            CellOutcome::PolicyError => {
                format!("{title}: policy error (expected {})", cell.expected)
            }
            _ => format!("{title}: expected {}, got {}", cell.expected, cell.actual),
        };
        if !cell.detail.is_empty() {
            message.push('\n');
            message.push_str(&cell.detail);
        }
        for place in &places {
            message.push_str(&format!("\n{}:{}: {}", place.file, place.line, place.what));
        }
        out.push(Finding {
            kind: Kind::Cell(rule),
            cell: Some(cell),
            level: Level::Error,
            title,
            message,
            identity: format!("{} {} {}", cell.subject, cell.identity, cell.action),
            places,
        });
    }
    for finding in &meta.lint {
        let place = match &finding.file {
            Some(file) => Place {
                file: file.clone(),
                line: finding.line.max(1),
                end_line: 0,
                kind: super::places::PlaceKind::Object,
                what: format!("{}[{}]", finding.severity, finding.rule),
            },
            None => fallback.clone(),
        };
        let mut message = finding.message.clone();
        if finding.file.is_none() {
            message.push('\n');
            message.push_str(&place.what);
        }
        out.push(Finding {
            kind: Kind::Lint(finding.rule.clone()),
            cell: None,
            level: if finding.is_error() {
                Level::Error
            } else {
                Level::Warning
            },
            title: finding.rule.clone(),
            message,
            identity: finding.message.clone(),
            places: vec![place],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::CellRule;

    #[test]
    fn rule_names_and_severities() {
        let names: Vec<String> = CellRule::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(
            names,
            [
                "AccessWidened",
                "AccessChanged",
                "AccessNarrowed",
                "Inconclusive",
                "PolicyError",
                "Unspecified",
                "Suspicious"
            ]
        );
        let widened = CellRule::AccessWidened.security_severity();
        assert!(CellRule::ALL
            .iter()
            .all(|r| r.security_severity() <= widened && r.security_severity() > 0.0));
    }
}
