//! The auditor's report (`rlsgate report`): everything one run learns, as a document. The data
//! is gathered once into an [`Audit`]; `html` and `markdown` are two views of it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::diff::phrase;
use super::matrix::RunMeta;
use crate::lint::{Diagnostic, Severity};
use crate::matrix::{Command, Scope, TableRef};
use crate::probe::functions::FunctionAccess;
use crate::probe::provenance::{CellProvenance, RelationAccess, Source};
use crate::verdict::{Action, Breadth, Cell, CellOutcome, Reach, Summary};

pub mod html;
pub mod markdown;

#[derive(Debug, Clone, Serialize)]
pub struct IdentityInfo {
    pub name: String,
    pub role: String,
    pub sub: Option<String>,
    pub claims: serde_json::Value,
}

/// One run, ready to be written.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub meta: RunMeta,
    pub passed: bool,
    pub summary: Summary,
    /// Migration files in the order applied.
    pub migrations: Vec<String>,
    /// SHA-256 over the migration files' names and contents.
    pub migrations_hash: String,
    pub schemas: Vec<String>,
    pub identities: Vec<IdentityInfo>,
    /// The table and view cells, then one EXECUTE cell per callable function x identity.
    pub cells: Vec<Cell>,
    pub relations: Vec<RelationAccess>,
    pub provenance: Vec<CellProvenance>,
    pub lint: Vec<Diagnostic>,
    pub functions: Vec<FunctionAccess>,
}

/// One of the worst findings shown first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub weight: u32,
    pub title: String,
    pub detail: String,
    /// Anchor of the section that explains it.
    pub anchor: String,
}

impl Audit {
    pub fn identity_names(&self) -> Vec<&str> {
        self.identities.iter().map(|i| i.name.as_str()).collect()
    }

    pub fn cell(&self, table: &TableRef, identity: &str, command: Command) -> Option<&Cell> {
        self.cells.iter().find(|c| {
            c.relation() == Some(table) && c.identity == identity && c.command() == Some(command)
        })
    }

    /// The EXECUTE cell of a function x identity.
    pub fn function_cell(&self, function: &FunctionAccess, identity: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.subject.as_function() == Some(&function.function) && c.identity == identity)
    }

    pub fn sources(&self, table: &TableRef, identity: &str, command: Command) -> &[Source] {
        self.provenance
            .iter()
            .find(|p| &p.table == table && p.identity == identity && p.command == command)
            .map(|p| &p.sources[..])
            .unwrap_or(&[])
    }

    pub fn relation(&self, table: &TableRef) -> Option<&RelationAccess> {
        self.relations.iter().find(|r| &r.table == table)
    }

    /// Tables in the order of the cells, grouped by schema.
    pub fn tables_by_schema(&self) -> BTreeMap<&str, Vec<&TableRef>> {
        let mut out: BTreeMap<&str, Vec<&TableRef>> = BTreeMap::new();
        for table in self.cells.iter().filter_map(Cell::relation) {
            let list = out.entry(table.schema.as_str()).or_default();
            if !list.contains(&table) {
                list.push(table);
            }
        }
        out
    }

    fn role_of(&self, identity: &str) -> &str {
        self.identities
            .iter()
            .find(|i| i.name == identity)
            .map(|i| i.role.as_str())
            .unwrap_or("")
    }

    /// The findings that matter most, worst first: access wider than declared, inconclusive
    /// probes, lint errors, SECURITY DEFINER functions the API roles can call.
    pub fn worst_findings(&self, limit: usize) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut groups: BTreeMap<(u32, &str, Action, String, String), Vec<&Cell>> = BTreeMap::new();
        for cell in self.cells.iter().filter(|c| !c.subject.is_function()) {
            match cell.outcome {
                CellOutcome::Fail => {
                    let wider = cell.wider_than_expected() == Some(true);
                    let mut weight = if wider { 100 } else { 60 };
                    if self.role_of(&cell.identity) == "anon" {
                        weight += 20;
                    }
                    if cell.actual.is_everything() {
                        weight += 10;
                    }
                    if cell.action != Action::Select {
                        weight += 5;
                    }
                    groups
                        .entry((
                            weight,
                            cell.identity.as_str(),
                            cell.action,
                            cell.actual.to_string(),
                            cell.expected.to_string(),
                        ))
                        .or_default()
                        .push(cell);
                }
                CellOutcome::Suspicious => {
                    if let Some(suspicion) = &cell.suspicion {
                        out.push(Finding {
                            weight: 100 - suspicion.breach.rank() as u32,
                            title: format!(
                                "{} {} on {}: suspicious ({}: {})",
                                cell.identity,
                                cell.action,
                                cell.subject.display_name(),
                                suspicion.breach,
                                cell.actual
                            ),
                            detail: suspicion.text(),
                            anchor: anchor_of(cell),
                        });
                    }
                }
                CellOutcome::PolicyError => out.push(Finding {
                    weight: 60,
                    title: format!(
                        "{} {} on {}: a policy fails with an error",
                        cell.identity,
                        cell.action,
                        cell.subject.display_name()
                    ),
                    detail: cell.detail.clone(),
                    anchor: anchor_of(cell),
                }),
                CellOutcome::Inconclusive => out.push(Finding {
                    weight: 50,
                    title: format!(
                        "{} {} on {}: inconclusive",
                        cell.identity,
                        cell.action,
                        cell.subject.display_name()
                    ),
                    detail: cell.detail.clone(),
                    anchor: anchor_of(cell),
                }),
                _ => {}
            }
        }
        for ((weight, identity, action, _, expected), cells) in groups {
            let how = if weight >= 100 {
                "more than declared"
            } else {
                "less than declared"
            };
            let names: Vec<String> = cells.iter().map(|c| c.subject.display_name()).collect();
            let (subject, detail) = if let [one] = &names[..] {
                (one.clone(), cells[0].detail.clone())
            } else {
                (
                    format!("{} tables", names.len()),
                    format!("{} ({})", names.join(", "), cells[0].detail),
                )
            };
            out.push(Finding {
                weight: weight + cells.len().min(20) as u32,
                title: format!(
                    "{identity} can {} ({how}: {expected})",
                    phrase(action, &cells[0].actual, &subject)
                ),
                detail,
                anchor: anchor_of(cells[0]),
            });
        }
        for d in &self.lint {
            let weight = match d.severity {
                Severity::Error => 70,
                Severity::Warning => 30,
                Severity::Info => continue,
            };
            let at = d
                .location
                .as_ref()
                .map(|l| format!(" ({}:{})", l.file, l.line))
                .unwrap_or_default();
            out.push(Finding {
                weight,
                title: format!("{}: {}{at}", d.rule, d.message),
                detail: d.help.clone(),
                anchor: "lint".into(),
            });
        }
        for f in &self.functions {
            let callers: Vec<&str> = self
                .identities
                .iter()
                .filter(|i| matches!(i.role.as_str(), "anon" | "authenticated"))
                .filter(|i| f.execute.get(&i.name).copied().unwrap_or(false))
                .map(|i| i.name.as_str())
                .collect();
            if f.security_definer && !callers.is_empty() && !f.returns_trigger {
                let weight = if f.search_path_pinned { 40 } else { 65 };
                out.push(Finding {
                    weight,
                    title: format!(
                        "SECURITY DEFINER function {}.{} is callable by {}{}",
                        f.function.schema,
                        f.signature,
                        callers.join(", "),
                        if f.search_path_pinned {
                            ""
                        } else {
                            " and its search_path is not pinned"
                        }
                    ),
                    detail: "It runs with its owner's rights, bypassing RLS.".into(),
                    anchor: "functions".into(),
                });
            }
        }
        for cell in self
            .cells
            .iter()
            .filter(|c| c.subject.is_function() && c.outcome == CellOutcome::Fail)
        {
            let wider = cell.wider_than_expected() == Some(true);
            let mut weight = if wider { 100 } else { 60 };
            if wider && self.role_of(&cell.identity) == "anon" {
                weight += 20;
            }
            out.push(Finding {
                weight,
                title: format!(
                    "{} {} call {} ({} than declared)",
                    cell.identity,
                    if wider { "can" } else { "cannot" },
                    cell.subject.display_name(),
                    if wider { "more" } else { "less" }
                ),
                detail: cell.detail.clone(),
                anchor: "functions".into(),
            });
        }
        out.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.title.cmp(&b.title)));
        out.truncate(limit);
        out
    }
}

/// The anchor of a table's section.
pub fn anchor(table: &TableRef) -> String {
    let mut s = String::from("t-");
    for c in table.to_string().chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
            s.push(c);
        } else {
            s.push_str(&format!("_{:x}", c as u32));
        }
    }
    s
}

/// The anchor of the section that explains a cell.
fn anchor_of(cell: &Cell) -> String {
    match cell.relation() {
        Some(table) => anchor(table),
        None => "functions".to_string(),
    }
}

/// How a reach is coloured: `none`, `own`, `some`, `all`, `unknown`.
pub fn scope_class(reach: &Reach) -> &'static str {
    match reach.breadth() {
        Breadth::Nothing => "none",
        Breadth::Own => "own",
        Breadth::Some => "some",
        Breadth::Everything => "all",
        Breadth::Unknown => "unknown",
    }
}

/// A short cell label: `–`, `own`, `all`, `any`, `2` (rows of a label list); `⇄` marks an
/// ownership transfer.
pub fn scope_short(reach: &Reach) -> String {
    let mut s = match reach {
        Reach::Inconclusive => "?".to_string(),
        r if r.breadth() == Breadth::Nothing => "–".to_string(),
        Reach::Rows {
            scope: Scope::Labels(labels),
            ..
        } => labels.len().to_string(),
        Reach::Rows { scope, .. } => Reach::rows(scope.clone()).to_string(),
        r => r.to_string(),
    };
    if reach.transfer() {
        s.push('⇄');
    }
    s
}
