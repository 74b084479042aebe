//! `rlsgate snapshot`: write what the database really does into `policy_specs/`, keeping
//! comments and hand edits. Only cells whose spec disagrees with reality (or that no spec
//! covers) are touched; a table no file names yet gets a compact new section.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use super::error::SpecErrors;
use super::function_snapshot::plan_functions;
use super::identities::{Identity, IDENTITIES_FILE};
use super::source::SourceFile;
use super::specs::{insert_text, scope_text, table_key, Specs, ROLE_GROUPS};
use crate::matrix::{Command, InsertScope, Observation, Scope, TableRef, TableRows};
use crate::probe::functions::FunctionAccess;
use crate::verdict::{self, Action, Cell, CellOutcome, Observed, Subject};

/// The file new tables go to when the project has several spec files (or none).
pub const SNAPSHOT_FILE: &str = "access.toml";

const NEW_FILE_HEADER: &str = "\
# Written by `rlsgate snapshot` from what the database really does. Review every line before
# committing: each one is a claim about who may read and write which rows (docs/specs.md).

";

/// What the probes saw: the input of a snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Reality<'a> {
    pub observations: &'a [Observation],
    pub rows: &'a [TableRows],
    pub identities: &'a [Identity],
    /// Every function of the exposed schemas and who may execute it.
    pub functions: &'a [FunctionAccess],
}

/// A cell `rlsgate snapshot` does not write as a spec: it goes into the file commented out,
/// with why, and stays unspecified until a person declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub subject: Subject,
    pub identity: String,
    pub action: Action,
    /// Why, in one line: `suspicious (anon-read): anon reads rows owned by alice, bob`.
    pub reason: String,
}

impl Held {
    /// Every suspicious cell, with what breaks the presumption and what opens it.
    pub fn suspicious(cells: &[Cell]) -> Vec<Held> {
        cells
            .iter()
            .filter_map(|c| {
                let s = c.suspicion.as_ref()?;
                Some(Held {
                    subject: c.subject.clone(),
                    identity: c.identity.clone(),
                    action: c.action,
                    reason: format!("suspicious ({}): {}", s.breach, s.text()),
                })
            })
            .collect()
    }

    fn holds(&self, subject: &Subject, identity: &str, action: Action) -> bool {
        &self.subject == subject && self.identity == identity && self.action == action
    }
}

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

/// Marks the comments of held-back cells, so a second snapshot replaces them.
const HELD_MARK: &str = "held back by `rlsgate snapshot`:";
/// The second line of a held-back block.
const HELD_HOW: &str = "# Fix the database";

/// `text` without the held-back block an earlier snapshot wrote (its mark line and the
/// indented lines below it), when it holds one.
fn strip_held(text: &str) -> Option<String> {
    if !text.contains(HELD_MARK) {
        return None;
    }
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.split('\n') {
        if line.contains(HELD_MARK) {
            inside = true;
            continue;
        }
        if inside && (line.starts_with("#   ") || line.starts_with(HELD_HOW)) {
            continue;
        }
        inside = false;
        out.push(line);
    }
    Some(out.join("\n"))
}

/// Remove the held-back blocks of a table: after its header (as written) or before its first
/// line (as read back). Whether anything was removed.
fn clear_held(table: &mut Table) -> bool {
    let mut removed = false;
    let suffix = table
        .decor()
        .suffix()
        .and_then(|s| s.as_str())
        .map(str::to_string);
    if let Some(clean) = suffix.as_deref().and_then(strip_held) {
        table.decor_mut().set_suffix(clean);
        removed = true;
    }
    let keys: Vec<String> = table.iter().map(|(k, _)| k.to_string()).collect();
    for key in keys {
        if let Some(mut key) = table.key_mut(&key) {
            let prefix = key
                .leaf_decor()
                .prefix()
                .and_then(|s| s.as_str())
                .map(str::to_string);
            if let Some(clean) = prefix.as_deref().and_then(strip_held) {
                key.leaf_decor_mut().set_prefix(clean);
                removed = true;
            }
        }
    }
    removed
}

/// Every `[tables.x]` section of a document, by relation.
fn sections_mut(doc: &mut DocumentMut) -> Vec<(TableRef, &mut Table)> {
    let Some(tables) = doc.get_mut("tables").and_then(Item::as_table_mut) else {
        return Vec::new();
    };
    tables
        .iter_mut()
        .filter_map(|(key, item)| {
            let table = super::specs::parse_table_name(key.get());
            item.as_table_mut().map(|t| (table, t))
        })
        .collect()
}

/// Comment lines right below a section's header: each identity's held cells as the line that
/// would declare them, then why each was held back.
fn hold_in(section: &mut Table, held: &[(Want, &Held)]) {
    let mut lines = vec![
        format!("{HELD_MARK} suspicious, so not declared."),
        format!(
            "{}, or add them to this table's lines if they are intended:",
            &HELD_HOW[2..]
        ),
    ];
    let mut identities: Vec<&str> = Vec::new();
    for (_, h) in held {
        if !identities.contains(&h.identity.as_str()) {
            identities.push(&h.identity);
        }
    }
    for identity in identities {
        let mine: Vec<&(Want, &Held)> = held
            .iter()
            .filter(|(_, h)| h.identity == identity)
            .collect();
        let values: Vec<String> = mine
            .iter()
            .map(|(want, _)| {
                let mut value = format!("{} = {}", want.command.as_str(), want.value.toml());
                if let Some(t) = want.transfer {
                    value.push_str(&format!(", transfer = {t}"));
                }
                value
            })
            .collect();
        lines.push(format!("  {identity} = {{ {} }}", values.join(", ")));
        for (want, h) in mine {
            let text = format!("{}: {}", want.command.as_str(), h.reason);
            for (i, line) in crate::terminal::wrap(&text, 90).into_iter().enumerate() {
                lines.push(format!("{}{line}", if i == 0 { "    " } else { "      " }));
            }
        }
    }
    append_comment(section, &lines);
}

/// Comment `lines` after the table's header line.
fn append_comment(table: &mut Table, lines: &[String]) {
    let mut suffix = table
        .decor()
        .suffix()
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_string();
    for line in lines {
        suffix.push_str("\n# ");
        suffix.push_str(line.trim_end());
    }
    table.decor_mut().set_suffix(suffix);
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

/// One value to write for an identity on a table.
#[derive(Debug, Clone, PartialEq)]
struct Want {
    identity: String,
    role: String,
    command: Command,
    value: Written,
    /// UPDATE only: write `transfer = x` as well.
    transfer: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
enum Written {
    Rows(Scope),
    Insert(InsertScope),
}

impl Written {
    fn toml(&self) -> Value {
        match self {
            Written::Rows(Scope::Labels(labels)) => {
                Value::Array(labels.iter().map(String::as_str).collect::<Array>())
            }
            Written::Rows(Scope::Union(parts)) => Value::Array(
                parts
                    .iter()
                    .flat_map(|p| match p {
                        Scope::Labels(labels) => labels.iter().cloned().collect::<Vec<_>>(),
                        word => vec![scope_text(word)],
                    })
                    .collect::<Array>(),
            ),
            Written::Rows(scope) => Value::from(scope_text(scope)),
            Written::Insert(scope) => Value::from(insert_text(scope)),
        }
    }

    /// The one-word form shared by all four commands, if this is one.
    fn word(&self) -> Option<String> {
        match self {
            Written::Rows(Scope::None) | Written::Insert(InsertScope::Deny) => Some("none".into()),
            Written::Rows(Scope::Own) | Written::Insert(InsertScope::Own) => Some("own".into()),
            Written::Rows(Scope::All) | Written::Insert(InsertScope::Any) => Some("all".into()),
            Written::Rows(scope @ (Scope::Tenant(_) | Scope::Party(_))) => Some(scope_text(scope)),
            Written::Insert(scope @ (InsertScope::Tenant(_) | InsertScope::Party(_))) => {
                Some(insert_text(scope))
            }
            Written::Rows(Scope::Labels(_) | Scope::Union(_)) => None,
        }
    }
}

fn want_for(cell: &Cell, specs: &Specs, reality: &Reality) -> Option<Want> {
    let (table, command) = (cell.relation()?, cell.command()?);
    let identity = reality
        .identities
        .iter()
        .find(|i| i.name == cell.identity)?;
    let rows = reality.rows.iter().find(|r| &r.table == table)?;
    let obs = reality
        .observations
        .iter()
        .find(|o| &o.table == table && o.identity == cell.identity && o.command == command)?;
    if obs.inconclusive().is_some() || obs.policy_error().is_some() {
        return None;
    }
    let (value, transfer) = match verdict::observed(obs, rows, identity) {
        Observed::Rows { scope, transfer } => {
            let transfer = transfer.and_then(|t| {
                let default = scope == Scope::All;
                let declared = specs.expectation(table, identity).and_then(|e| e.transfer);
                (t != default || declared.is_some_and(|d| d != t)).then_some(t)
            });
            (Written::Rows(scope), transfer)
        }
        Observed::Insert(scope) => (Written::Insert(scope), None),
        Observed::Inserted(_) => (Written::Insert(InsertScope::Any), None),
    };
    Some(Want {
        identity: identity.name.clone(),
        role: identity.role.clone(),
        command,
        value,
        transfer,
    })
}

fn find_table<'a>(doc: &'a DocumentMut, table: &TableRef) -> Option<&'a dyn toml_edit::TableLike> {
    let tables = doc.get("tables")?.as_table_like()?;
    tables
        .iter()
        .find(|(k, _)| super::specs::parse_table_name(k) == *table)
        .and_then(|(_, item)| item.as_table_like())
}

fn find_table_mut<'a>(
    doc: &'a mut DocumentMut,
    table: &TableRef,
) -> Option<&'a mut dyn toml_edit::TableLike> {
    let tables = doc.get_mut("tables")?.as_table_like_mut()?;
    let key = tables
        .iter()
        .find(|(k, _)| super::specs::parse_table_name(k) == *table)
        .map(|(k, _)| k.to_string())?;
    tables.get_mut(&key)?.as_table_like_mut()
}

/// Where every identity that takes a command from the same group line of the table (`authenticated
/// = "own"`) needs the same new value, change that line rather than adding one per identity.
fn merge_into_groups(
    table: &TableRef,
    wants: &[Want],
    specs: &Specs,
    reality: &Reality,
) -> Vec<Want> {
    let mut out: Vec<Want> = Vec::new();
    let mut used = vec![false; wants.len()];
    for (i, want) in wants.iter().enumerate() {
        if used[i] {
            continue;
        }
        let same: Vec<usize> = (i..wants.len())
            .filter(|&j| {
                !used[j]
                    && wants[j].command == want.command
                    && wants[j].value == want.value
                    && wants[j].transfer == want.transfer
            })
            .collect();
        let source =
            |name: &str, role: &str| specs.declared_by(table, name, role, want.command.as_str());
        let key = source(&want.identity, &want.role).filter(|(in_table, key)| {
            *in_table
                && *key != want.identity
                && reality
                    .identities
                    .iter()
                    .filter(|i| source(&i.name, &i.role).is_some_and(|s| s == (true, key.clone())))
                    .all(|i| same.iter().any(|&j| wants[j].identity == i.name))
                && same.iter().all(|&j| {
                    source(&wants[j].identity, &wants[j].role)
                        .is_some_and(|s| s == (true, key.clone()))
                })
        });
        match key {
            Some((_, key)) => {
                for &j in &same {
                    used[j] = true;
                }
                out.push(Want {
                    identity: key,
                    ..want.clone()
                });
            }
            None => {
                used[i] = true;
                out.push(want.clone());
            }
        }
    }
    out
}

/// Write `want` into the entry named `want.identity` (an identity, or a group key when merged),
/// creating or expanding it.
fn apply(section: &mut dyn toml_edit::TableLike, want: &Want) {
    let entry = section
        .entry(&want.identity)
        .or_insert(Item::Value(Value::InlineTable(InlineTable::new())));
    if let Some(word) = entry.as_str().map(str::to_string) {
        let mut expanded = InlineTable::new();
        for command in Command::ALL {
            let value = match (command, word.as_str()) {
                (Command::Insert, "none") => "deny",
                (Command::Insert, "all") => "any",
                (_, w) => w,
            };
            expanded.insert(command.as_str(), Value::from(value.to_string()));
        }
        let decor = entry.as_value().map(|v| v.decor().clone());
        let mut value = Value::InlineTable(expanded);
        if let Some(decor) = decor {
            *value.decor_mut() = decor;
        }
        *entry = Item::Value(value);
    }
    let Some(rules) = entry.as_table_like_mut() else {
        *entry = Item::Value(Value::InlineTable(InlineTable::new()));
        return apply(section, want);
    };
    set_value(rules, want.command.as_str(), want.value.toml());
    if let Some(t) = want.transfer {
        set_value(rules, "transfer", Value::from(t));
    }
}

/// Replace a value keeping the surrounding whitespace and comments.
fn set_value(rules: &mut dyn toml_edit::TableLike, key: &str, mut value: Value) {
    if let Some(old) = rules.get(key).and_then(Item::as_value) {
        *value.decor_mut() = old.decor().clone();
    }
    match rules.get_mut(key) {
        Some(slot) => *slot = Item::Value(value),
        None => {
            rules.insert(key, Item::Value(value));
        }
    }
}

/// A section for a table no spec names: one line per identity (or per role group when all
/// its members agree), a single word when all four commands agree.
fn new_section(wants: &[Want], identities: &[Identity]) -> Table {
    let mut per_identity: Vec<(&str, &str, BTreeMap<Command, &Want>)> = Vec::new();
    for want in wants {
        match per_identity
            .iter_mut()
            .find(|(n, _, _)| *n == want.identity)
        {
            Some((_, _, map)) => {
                map.insert(want.command, want);
            }
            None => per_identity.push((
                &want.identity,
                &want.role,
                BTreeMap::from([(want.command, want)]),
            )),
        }
    }
    let render = |map: &BTreeMap<Command, &Want>| -> Value {
        let words: Vec<Option<String>> = Command::ALL
            .iter()
            .map(|c| map.get(c).and_then(|w| w.value.word()))
            .collect();
        let transfer = map.get(&Command::Update).and_then(|w| w.transfer);
        if map.len() == Command::ALL.len()
            && transfer.is_none()
            && words.iter().all(|w| w.is_some() && *w == words[0])
        {
            return Value::from(words[0].clone().expect("checked"));
        }
        let mut inline = InlineTable::new();
        for (command, want) in map {
            inline.insert(command.as_str(), want.value.toml());
            if let Some(t) = want.transfer {
                inline.insert("transfer", Value::from(t));
            }
        }
        Value::InlineTable(inline)
    };

    let mut section = Table::new();
    let mut done: Vec<&str> = Vec::new();
    for (name, role, map) in &per_identity {
        if done.contains(name) {
            continue;
        }
        let members: Vec<&Identity> = identities.iter().filter(|i| i.role == *role).collect();
        let member_maps: Vec<Option<&BTreeMap<Command, &Want>>> = members
            .iter()
            .map(|m| {
                per_identity
                    .iter()
                    .find(|(n, _, _)| *n == m.name)
                    .map(|(_, _, map)| map)
            })
            .collect();
        let same_commands = member_maps
            .iter()
            .all(|m| m.is_some_and(|m| m.keys().eq(map.keys())));
        let group = (members.len() >= 2
            && same_commands
            && ROLE_GROUPS.contains(role)
            && !identities
                .iter()
                .any(|i| i.name == *role && i.role != *role))
        .then(|| {
            let mut counts: Vec<(String, usize)> = Vec::new();
            for m in member_maps.iter().flatten() {
                let text = render(m).to_string();
                match counts.iter_mut().find(|(t, _)| *t == text) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((text, 1)),
                }
            }
            counts
                .into_iter()
                .max_by_key(|(_, n)| *n)
                .filter(|(_, n)| *n >= 2)
        })
        .flatten();
        match group {
            Some((text, _)) => {
                let first = member_maps
                    .iter()
                    .flatten()
                    .find(|m| render(m).to_string() == text)
                    .expect("counted above");
                section.insert(role, Item::Value(render(first)));
                for (member, map) in members.iter().zip(&member_maps) {
                    let map = map.expect("same_commands");
                    if render(map).to_string() != text {
                        section.insert(&member.name, Item::Value(render(map)));
                    }
                    done.push(member.name.as_str());
                }
            }
            None => {
                section.insert(name, Item::Value(render(map)));
                done.push(name);
            }
        }
    }
    section
}

/// In a new file, an entry that every table repeats with the same value moves to
/// `[defaults]`.
fn hoist_defaults(doc: &mut DocumentMut, reality: &Reality) {
    let Some(tables) = doc.get("tables").and_then(Item::as_table) else {
        return;
    };
    let observed: std::collections::BTreeSet<&TableRef> =
        reality.observations.iter().map(|o| &o.table).collect();
    if tables.len() < 2 || tables.len() != observed.len() {
        return;
    }
    let sections: Vec<&Table> = tables.iter().filter_map(|(_, t)| t.as_table()).collect();
    let mut common: Vec<(String, Value)> = Vec::new();
    for (key, item) in sections[0].iter() {
        let Some(value) = item.as_value() else {
            continue;
        };
        let text = value.to_string();
        let everywhere = sections[1..].iter().all(|s| {
            s.get(key)
                .and_then(Item::as_value)
                .is_some_and(|v| v.to_string() == text)
        });
        if everywhere {
            common.push((key.to_string(), value.clone()));
        }
    }
    if common.is_empty() {
        return;
    }
    let tables = doc["tables"].as_table_mut().expect("checked above");
    for (_, section) in tables.iter_mut() {
        if let Some(section) = section.as_table_mut() {
            for (key, _) in &common {
                section.remove(key);
            }
        }
    }
    let mut defaults = Table::new();
    for (key, value) in common {
        defaults.insert(&key, Item::Value(value));
    }
    defaults.set_position(-1);
    doc.insert("defaults", Item::Table(defaults));
}
