//! `rlsgate snapshot`: write what the database really does into `policy_specs/`, keeping
//! comments and hand edits. Only cells whose spec disagrees with reality (or that no spec
//! covers) are touched; a table no file names yet gets a compact new section.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

mod held;
mod reality;
mod wants;

pub use held::Held;
use held::{append_comment, clear_held, hold_in, sections_mut, HELD_MARK};
pub use reality::Reality;
use wants::{
    apply, find_table, find_table_mut, hoist_defaults, merge_into_groups, new_section, want_for,
    Want,
};

use super::error::SpecErrors;
use super::function_snapshot::plan_functions;
use super::identities::IDENTITIES_FILE;
use super::source::SourceFile;
use super::specs::{table_key, Specs};
use crate::matrix::TableRef;
use crate::probe::functions::FunctionAccess;
use crate::verdict::{self, Cell, CellOutcome};

/// The file new tables go to when the project has several spec files (or none).
pub const SNAPSHOT_FILE: &str = "access.toml";

const NEW_FILE_HEADER: &str = "\
# Written by `rlsgate snapshot` from what the database really does. Review every line before
# committing: each one is a claim about who may read and write which rows (docs/specs.md).

";

/// What `rlsgate snapshot` would do.
#[derive(Debug, Clone, Default)]
pub struct SnapshotPlan {
    /// Files to write (new or changed), with their full new text.
    pub writes: Vec<(PathBuf, String)>,
    /// Cells where the specs and the database disagree, or no spec applies (before the edit).
    pub differences: Vec<Cell>,
    /// Cells whose probe did not test the policy: never written from (an unspecified one stays
    /// a difference).
    pub inconclusive: Vec<Cell>,
    /// Function EXECUTE cells where the specs and the database disagree, or no spec applies.
    pub function_differences: Vec<Cell>,
    /// The cells written commented out rather than as specs.
    pub held: Vec<Held>,
}

impl SnapshotPlan {
    /// `--check`: specs and reality agree.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.function_differences.is_empty()
    }
}

/// Judge every observation against the current specs.
pub fn judge_all(specs: &Specs, reality: &Reality) -> Vec<Cell> {
    reality
        .observations
        .iter()
        .filter_map(|obs| {
            let identity = reality.identities.iter().find(|i| i.name == obs.identity)?;
            let rows = reality.rows.iter().find(|r| r.table == obs.table)?;
            let exp = specs.expectation(&obs.table, identity);
            Some(verdict::judge(obs, exp.as_ref(), rows, identity))
        })
        .collect()
}

/// The file that receives tables no spec names: the only spec file if there is exactly one,
/// otherwise `access.toml`.
pub fn default_target(dir: &Path, files: &[SourceFile]) -> PathBuf {
    match files {
        [only] => only.path.clone(),
        _ => dir.join(SNAPSHOT_FILE),
    }
}

/// Read the spec files of `dir` (all `*.toml` but identities.toml) for [`plan`].
pub fn read_spec_files(dir: &Path) -> Result<Vec<SourceFile>, SpecErrors> {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(listing) => listing
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "toml")
                    && p.file_name().is_some_and(|n| n != IDENTITIES_FILE)
                    && p.is_file()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    paths.sort();
    let mut files = Vec::new();
    let mut errors = SpecErrors::default();
    for path in paths {
        match SourceFile::read(&path) {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e),
        }
    }
    errors.into_result(files)
}

/// Compute the edits that make `files` describe `reality`. New tables go to `target`.
pub fn plan(
    files: Vec<SourceFile>,
    target: &Path,
    reality: &Reality,
) -> Result<SnapshotPlan, SpecErrors> {
    plan_holding(files, target, reality, &[])
}

/// [`plan`], writing the `held` cells commented out, each with its reason, under its table's
/// section (or in `[functions]`: a function with a held cell keeps no line at all).
pub fn plan_holding(
    files: Vec<SourceFile>,
    target: &Path,
    reality: &Reality,
    held: &[Held],
) -> Result<SnapshotPlan, SpecErrors> {
    let fresh = files.is_empty();
    let specs = Specs::from_sources(files.clone())?;
    let cells = judge_all(&specs, reality);
    let mut plan = SnapshotPlan {
        differences: cells
            .iter()
            .filter(|c| matches!(c.outcome, CellOutcome::Fail | CellOutcome::Unspecified))
            .cloned()
            .collect(),
        inconclusive: cells
            .iter()
            .filter(|c| {
                matches!(
                    c.outcome,
                    CellOutcome::Inconclusive | CellOutcome::PolicyError
                ) || c.probes.iter().any(|p| !p.outcome.is_conclusive())
            })
            .cloned()
            .collect(),
        writes: Vec::new(),
        function_differences: Vec::new(),
        held: Vec::new(),
    };

    let mut docs: Vec<(PathBuf, DocumentMut, bool)> = files
        .iter()
        .map(|f| {
            let doc = f.text.parse::<DocumentMut>().expect("parsed above");
            (f.path.clone(), doc, false)
        })
        .collect();
    if !docs.iter().any(|(p, _, _)| p == target) {
        docs.push((target.to_path_buf(), DocumentMut::new(), false));
    }

    let mut wanted: BTreeMap<&TableRef, Vec<Want>> = BTreeMap::new();
    let mut held_back: BTreeMap<&TableRef, Vec<(Want, &Held)>> = BTreeMap::new();
    for cell in &plan.differences {
        let (Some(table), Some(want)) = (cell.relation(), want_for(cell, &specs, reality)) else {
            continue;
        };
        match held
            .iter()
            .find(|h| h.holds(&cell.subject, &cell.identity, cell.action))
        {
            Some(h) => {
                plan.held.push(h.clone());
                held_back.entry(table).or_default().push((want, h));
                wanted.entry(table).or_default();
            }
            None => wanted.entry(table).or_default().push(want),
        }
    }

    for (table, wants) in wanted {
        let key = table_key(table);
        let home = docs
            .iter()
            .position(|(_, doc, _)| find_table(doc, table).is_some())
            .unwrap_or_else(|| {
                docs.iter()
                    .position(|(p, _, _)| p == target)
                    .expect("target added")
            });
        let (_, doc, changed) = &mut docs[home];
        *changed = true;
        match find_table_mut(doc, table) {
            Some(section) => {
                for want in merge_into_groups(table, &wants, &specs, reality) {
                    apply(section, &want);
                }
            }
            None => {
                let section = new_section(&wants, reality.identities);
                let tables = doc
                    .entry("tables")
                    .or_insert_with(|| {
                        let mut t = Table::new();
                        t.set_implicit(true);
                        Item::Table(t)
                    })
                    .as_table_mut()
                    .expect("`tables` is a table");
                tables.insert(&key, Item::Table(section));
            }
        }
    }

    for (_, doc, changed) in docs.iter_mut() {
        for (table, section) in sections_mut(doc) {
            *changed |= clear_held(section);
            if let Some(held) = held_back.get(&table) {
                hold_in(section, held);
                *changed = true;
            }
        }
    }

    let held_functions: Vec<&Held> = held.iter().filter(|h| h.subject.is_function()).collect();
    let kept: Vec<FunctionAccess> = reality
        .functions
        .iter()
        .filter(|f| {
            !held_functions
                .iter()
                .any(|h| h.subject.as_function() == Some(&f.function))
        })
        .cloned()
        .collect();
    plan.function_differences =
        plan_functions(&mut docs, target, &specs, &kept, reality.identities);
    let unspecified_functions: Vec<Cell> =
        verdict::judge_functions(reality.functions, &specs, reality.identities, &[])
            .into_iter()
            .filter(|c| c.outcome == CellOutcome::Unspecified)
            .collect();
    let mut function_notes: Vec<String> = Vec::new();
    for h in &held_functions {
        if unspecified_functions
            .iter()
            .any(|c| h.holds(&c.subject, &c.identity, c.action))
        {
            plan.held.push((*h).clone());
            let note = format!(
                "{} · {}: {}",
                h.subject.display_name(),
                h.identity,
                h.reason
            );
            for (i, line) in crate::terminal::wrap(&note, 90).into_iter().enumerate() {
                function_notes.push(format!("{}{line}", if i == 0 { "" } else { "  " }));
            }
            if let Some(c) = unspecified_functions
                .iter()
                .find(|c| h.holds(&c.subject, &c.identity, c.action))
            {
                plan.function_differences.push(c.clone());
            }
        }
    }
    for (_, doc, changed) in docs.iter_mut() {
        if let Some(functions) = doc.get_mut("functions").and_then(Item::as_table_mut) {
            *changed |= clear_held(functions);
        }
    }
    if !function_notes.is_empty() {
        let home = docs
            .iter()
            .position(|(_, doc, _)| doc.contains_key("functions"))
            .or_else(|| docs.iter().position(|(p, _, _)| p == target))
            .expect("target added");
        let (_, doc, changed) = &mut docs[home];
        *changed = true;
        let functions = doc
            .entry("functions")
            .or_insert_with(|| Item::Table(Table::new()));
        if let Some(functions) = functions.as_table_mut() {
            let mut lines = vec![format!(
                "{HELD_MARK} these functions have no line: who may call them is yours to decide"
            )];
            lines.extend(function_notes.iter().map(|n| format!("  {n}")));
            append_comment(functions, &lines);
        }
    }

    if fresh {
        if let Some((_, doc, _)) = docs.iter_mut().find(|(p, _, _)| p == target) {
            hoist_defaults(doc, reality);
            doc.decor_mut().set_prefix(NEW_FILE_HEADER);
        }
    }

    plan.writes = docs
        .into_iter()
        .filter(|(_, _, changed)| *changed)
        .map(|(path, doc, _)| (path, doc.to_string()))
        .filter(|(path, text)| !files.iter().any(|f| &f.path == path && &f.text == text))
        .collect();
    Ok(plan)
}

/// `text` with an inferred `[tenancy]` section before its first table, so that the next run
/// reads the model the specs were written against.
pub fn with_tenancy(text: &str, section: &str) -> String {
    let block = format!(
        "# The tenant model rlsgate inferred and these specs were written against: edit it, or\n# write `tenancy = false` at the top of the file to turn tenancy off.\n{section}\n"
    );
    let first_table = text
        .lines()
        .scan(0, |at, line| {
            let start = *at;
            *at += line.len() + 1;
            Some((start, line))
        })
        .find(|(_, line)| line.trim_start().starts_with('['))
        .map(|(start, _)| start);
    match first_table {
        Some(at) => format!("{}{block}{}", &text[..at], &text[at..]),
        None => format!("{text}{}{block}", if text.is_empty() { "" } else { "\n" }),
    }
}

/// Update one spec file's text (or start one) from reality: the single-file form of [`plan`].
pub fn render_specs(existing: Option<&str>, reality: &Reality) -> Result<String, SpecErrors> {
    let path = PathBuf::from(SNAPSHOT_FILE);
    let files = existing
        .map(|text| vec![SourceFile::new(&path, text)])
        .unwrap_or_default();
    let plan = plan(files, &path, reality)?;
    Ok(plan
        .writes
        .into_iter()
        .next()
        .map(|(_, text)| text)
        .unwrap_or_else(|| existing.unwrap_or_default().to_string()))
}

/// `--check` output: one line per difference, then what was left alone.
pub fn write_check(plan: &SnapshotPlan, out: &mut dyn Write) -> io::Result<()> {
    for cell in plan.differences.iter().chain(&plan.function_differences) {
        let spec = match cell.outcome {
            CellOutcome::Unspecified => "no spec".to_string(),
            _ => format!("spec says {}", cell.expected),
        };
        writeln!(
            out,
            "{} · {} · {}: {spec}, the database does {}",
            cell.subject.display_name(),
            cell.identity,
            cell.action,
            cell.actual
        )?;
    }
    for cell in &plan.inconclusive {
        writeln!(
            out,
            "{} · {} · {}: {}, left as is ({})",
            cell.subject.display_name(),
            cell.identity,
            cell.action,
            cell.outcome.as_str(),
            cell.detail
        )?;
    }
    let count = plan.differences.len() + plan.function_differences.len();
    if count == 0 {
        writeln!(out, "policy_specs/ matches the database")
    } else {
        writeln!(
            out,
            "{} {} between policy_specs/ and the database; `rlsgate snapshot` writes them",
            count,
            if count == 1 {
                "difference"
            } else {
                "differences"
            }
        )
    }
}
