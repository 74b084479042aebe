//! `rlsgate diff`: the cells whose access widened or narrowed between two JSON reports,
//! worded for a pull-request review ("anon can now read all rows of profiles", "anon can now
//! call promote_user(uuid)").

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::{Serialize, Serializer};

use super::matrix::Report;
use crate::matrix::{Command, FunctionRef};
use crate::verdict::{insert_phrase, rows_phrase, Action, Breach, Cell, Coverage, Reach, Subject};

/// How one cell moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Widened,
    Narrowed,
    /// Became or stopped being inconclusive, or moved where no order applies.
    Changed,
}

/// One cell that moved between the two reports.
#[derive(Debug, Clone)]
pub struct CellChange {
    pub subject: Subject,
    pub identity: String,
    pub action: Action,
    /// `None`: the cell is new (a table, function or identity added).
    pub old: Option<Reach>,
    /// `None`: the cell is gone.
    pub new: Option<Reach>,
    pub change: Change,
    /// The sentence for a reviewer.
    pub message: String,
    /// The new cell breaks the presumption (no spec covers it): what it breaks.
    pub suspicion: Option<Breach>,
}

/// The JSON shape of a relation's change.
#[derive(Serialize)]
struct TableChange<'a> {
    table: String,
    identity: &'a str,
    command: Command,
    old: Option<&'a Reach>,
    new: Option<&'a Reach>,
    change: Change,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suspicion: Option<Breach>,
}

/// The JSON shape of a function's change.
#[derive(Serialize)]
struct FunctionChange<'a> {
    function: &'a FunctionRef,
    identity: &'a str,
    old: Option<&'a Reach>,
    new: Option<&'a Reach>,
    change: Change,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suspicion: Option<Breach>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// Tables and views whose access moved.
    #[serde(serialize_with = "table_changes")]
    pub changes: Vec<CellChange>,
    /// Who gained or lost EXECUTE on a function.
    #[serde(serialize_with = "function_changes")]
    pub functions: Vec<CellChange>,
    pub widened: usize,
    pub narrowed: usize,
    pub changed: usize,
    pub old_summary: crate::verdict::Summary,
    pub new_summary: crate::verdict::Summary,
}

fn table_changes<S: Serializer>(changes: &[CellChange], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(changes.iter().filter_map(|c| {
        Some(TableChange {
            table: c.subject.relation()?.to_string(),
            identity: &c.identity,
            command: c.action.command()?,
            old: c.old.as_ref(),
            new: c.new.as_ref(),
            change: c.change,
            message: &c.message,
            suspicion: c.suspicion,
        })
    }))
}

fn function_changes<S: Serializer>(changes: &[CellChange], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(changes.iter().filter_map(|c| {
        Some(FunctionChange {
            function: c.subject.as_function()?,
            identity: &c.identity,
            old: c.old.as_ref(),
            new: c.new.as_ref(),
            change: c.change,
            message: &c.message,
            suspicion: c.suspicion,
        })
    }))
}

impl Diff {
    pub fn has_widened(&self) -> bool {
        self.widened > 0
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.functions.is_empty()
    }

    /// The relation changes of one kind, identities that moved the same way on the same table
    /// and command merged into one line: (sentence, table, command, before, after).
    pub fn grouped(&self, change: Change) -> Vec<(String, String, Action, String, String)> {
        let mut groups: Vec<(&CellChange, Vec<&str>)> = Vec::new();
        for c in self.changes.iter().filter(|c| c.change == change) {
            match groups.iter_mut().find(|(g, _)| {
                g.subject == c.subject
                    && g.action == c.action
                    && g.old == c.old
                    && g.new == c.new
                    && g.suspicion == c.suspicion
            }) {
                Some((_, ids)) => ids.push(&c.identity),
                None => groups.push((c, vec![&c.identity])),
            }
        }
        let shown = |r: Option<&Reach>| r.map_or("–".to_string(), Reach::to_string);
        groups
            .into_iter()
            .map(|(c, ids)| {
                let mut message = sentence(
                    &ids.join(", "),
                    c.action,
                    &c.subject,
                    c.old.as_ref(),
                    c.new.as_ref(),
                );
                if let Some(breach) = c.suspicion {
                    message.push_str(&format!(" ⚑ suspicious: {}", breach.title()));
                }
                (
                    message,
                    c.subject.to_string(),
                    c.action,
                    shown(c.old.as_ref()),
                    shown(c.new.as_ref()),
                )
            })
            .collect()
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Select => "read",
        Action::Insert => "insert",
        Action::Update => "update",
        Action::Delete => "delete",
        Action::Execute => "call",
        Action::Call => "reach through",
    }
}

/// "read all rows of profiles", "insert its own rows into notes", "call promote_user(uuid)".
pub fn phrase(action: Action, reach: &Reach, subject: &str) -> String {
    let v = verb(action);
    let mut text = match reach {
        Reach::Insert(scope) => match insert_phrase(scope) {
            Some(whose) => format!("insert {whose} into {subject}"),
            None => format!("not insert into {subject}"),
        },
        Reach::Inserted(targets) if targets.len() == 1 && targets.contains("other") => {
            format!("insert rows owned by others into {subject}")
        }
        Reach::Inserted(targets) => format!(
            "insert rows ({}) into {subject}",
            targets.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        Reach::Execute(true) => format!("call {subject}"),
        Reach::Execute(false) => format!("not call {subject}"),
        Reach::Bypass(true) => format!("reach rows past RLS by calling {subject}"),
        Reach::Bypass(false) => format!("reach no row past RLS by calling {subject}"),
        Reach::Through { reads, writes } => {
            format!("call {subject} reading {reads} and writing {writes} past RLS")
        }
        Reach::Rows { scope, .. } => match rows_phrase(scope) {
            Some(rows) => format!("{v} {rows} of {subject}"),
            None => format!("not {v} any row of {subject}"),
        },
        Reach::Inconclusive if action == Action::Insert => {
            format!("insert into {subject} (inconclusive)")
        }
        Reach::Inconclusive => format!("{v} ? rows of {subject} (probe inconclusive)"),
        Reach::PolicyError => format!("{v} {subject}: a policy fails with an error"),
        Reach::Unspecified => format!("{v} {subject} (unspecified)"),
    };
    if reach.transfer() {
        text.push_str(", and hand its rows to another owner");
    }
    text
}

fn sentence(
    identity: &str,
    action: Action,
    subject: &Subject,
    old: Option<&Reach>,
    new: Option<&Reach>,
) -> String {
    let shown = subject.display_name();
    // A function's EXECUTE has two values: the old one goes without saying.
    let was = |old: &Reach| {
        if action == Action::Execute {
            String::new()
        } else {
            format!(" (was: {old})")
        }
    };
    match (old, new) {
        (
            Some(old),
            Some(new @ (Reach::Inconclusive | Reach::Unspecified | Reach::PolicyError)),
        ) => {
            format!("{identity}: {action} on {shown} is now {new} (was: {old})")
        }
        (Some(old), Some(new)) if new.is_nothing() => {
            let what = match action {
                Action::Insert => format!("insert into {shown}"),
                Action::Execute => format!("call {shown}"),
                Action::Call => format!("reach rows past RLS through {shown}"),
                _ => format!("{} any row of {shown}", verb(action)),
            };
            format!("{identity} can no longer {what}{}", was(old))
        }
        (Some(old), Some(new)) => format!(
            "{identity} can now {}{}",
            phrase(action, new, &shown),
            was(old)
        ),
        (None, Some(new)) => format!("new: {identity} can {}", phrase(action, new, &shown)),
        (Some(old), None) => format!("gone: {identity} could {}", phrase(action, old, &shown)),
        (None, None) => String::new(),
    }
}

/// Compares two reports cell by cell (`actual` reaches); unchanged cells are left out, and so
/// is a cell that appears or disappears reaching nothing.
pub fn diff(old: &Report, new: &Report) -> Diff {
    type Key = (Subject, String, Action);
    let index = |r: &'_ Report| -> BTreeMap<Key, Cell> {
        r.all_cells()
            .map(|c| ((c.subject.clone(), c.identity.clone(), c.action), c.clone()))
            .collect()
    };
    let (a, b) = (index(old), index(new));
    let keys: BTreeSet<&Key> = a.keys().chain(b.keys()).collect();
    let mut changes = Vec::new();
    let mut functions = Vec::new();
    for key in keys {
        let (subject, identity, action) = key;
        let (o, n) = (a.get(key), b.get(key));
        if o.map(|c| &c.actual) == n.map(|c| &c.actual) {
            continue;
        }
        let nothing = match action {
            Action::Execute => Reach::Execute(false),
            Action::Call => Reach::Bypass(false),
            Action::Insert => Reach::Insert(crate::matrix::InsertScope::Deny),
            _ => Reach::rows(crate::matrix::Scope::None),
        };
        let (co, cn) = (coverage(o, &nothing), coverage(n, &nothing));
        if o.is_none() && cn.reach().is_nothing() || n.is_none() && co.reach().is_nothing() {
            continue;
        }
        let change = match (cn.exceeds(&co), co.exceeds(&cn)) {
            (Some(true), _) => Change::Widened,
            (_, Some(true)) => Change::Narrowed,
            _ => Change::Changed,
        };
        let (old_reach, new_reach) = (o.map(|c| c.actual.clone()), n.map(|c| c.actual.clone()));
        let suspicion = n.and_then(|c| c.suspicion.as_ref()).map(|s| s.breach);
        let mut message = sentence(
            identity,
            *action,
            subject,
            old_reach.as_ref(),
            new_reach.as_ref(),
        );
        if let Some(breach) = suspicion {
            message.push_str(&format!(" ⚑ suspicious: {}", breach.title()));
        }
        let change = CellChange {
            message,
            suspicion,
            subject: subject.clone(),
            identity: identity.clone(),
            action: *action,
            old: old_reach,
            new: new_reach,
            change,
        };
        if subject.is_function() {
            functions.push(change);
        } else {
            changes.push(change);
        }
    }
    let order = |x: &CellChange, y: &CellChange| {
        (x.change, &x.subject, &x.identity, x.action).cmp(&(
            y.change,
            &y.subject,
            &y.identity,
            y.action,
        ))
    };
    changes.sort_by(order);
    functions.sort_by(order);
    let count = |c: Change| {
        changes
            .iter()
            .chain(&functions)
            .filter(|x| x.change == c)
            .count()
    };
    Diff {
        widened: count(Change::Widened),
        narrowed: count(Change::Narrowed),
        changed: count(Change::Changed),
        changes,
        functions,
        old_summary: old.summary,
        new_summary: new.summary,
    }
}

fn coverage<'a>(cell: Option<&'a Cell>, missing: &'a Reach) -> Coverage<'a> {
    match cell {
        Some(c) => Coverage::new(&c.actual, c.reached.as_ref()),
        None => Coverage::new(missing, None),
    }
}

/// A PR comment.
pub fn write_markdown(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    let headline = if diff.is_empty() {
        "No access changed.".to_string()
    } else {
        format!(
            "{} widened, {} narrowed, {} changed",
            diff.widened, diff.narrowed, diff.changed
        )
    };
    let icon = if diff.has_widened() { "⚠️" } else { "✅" };
    writeln!(out, "### {icon} rlsgate: access diff\n")?;
    writeln!(out, "{headline}\n")?;
    for (change, title) in [
        (Change::Widened, "Widened (review these)"),
        (Change::Narrowed, "Narrowed"),
        (Change::Changed, "Changed"),
    ] {
        let items = diff.grouped(change);
        if items.is_empty() {
            continue;
        }
        writeln!(out, "#### {title}\n")?;
        writeln!(out, "| | table | command | before | after |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for (message, table, action, old, new) in items {
            writeln!(
                out,
                "| {} | `{table}` | {action} | {old} | {new} |",
                message.replace('|', "\\|")
            )?;
        }
        writeln!(out)?;
    }
    if !diff.functions.is_empty() {
        writeln!(out, "#### Functions (execute)\n")?;
        writeln!(out, "| | function | identity | before | after |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for c in &diff.functions {
            let mark = match c.change {
                Change::Widened => "⚠️",
                _ => "",
            };
            let shown = |r: Option<&Reach>| r.map_or("–".to_string(), Reach::to_string);
            writeln!(
                out,
                "| {mark} {} | `{}` | {} | {} | {} |",
                c.message.replace('|', "\\|"),
                c.subject.display_name(),
                c.identity,
                shown(c.old.as_ref()),
                shown(c.new.as_ref())
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "<sub>before: {} · after: {}</sub>",
        diff.old_summary, diff.new_summary
    )
}

pub fn write_human(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    if diff.is_empty() {
        return writeln!(out, "no access changed");
    }
    for (change, mark) in [
        (Change::Widened, "+"),
        (Change::Narrowed, "-"),
        (Change::Changed, "~"),
    ] {
        for (message, ..) in diff.grouped(change) {
            writeln!(out, "{mark} {message}")?;
        }
        for c in diff.functions.iter().filter(|c| c.change == change) {
            writeln!(out, "{mark} {}", c.message)?;
        }
    }
    writeln!(
        out,
        "\n{} widened, {} narrowed, {} changed",
        diff.widened, diff.narrowed, diff.changed
    )
}

pub fn write_json(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, diff)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_read_like_a_review() {
        let read = |action, words| Reach::read(action, words).unwrap();
        assert_eq!(
            phrase(Action::Select, &read(Action::Select, "all"), "profiles"),
            "read all rows of profiles"
        );
        assert_eq!(
            phrase(
                Action::Update,
                &read(Action::Update, "own+transfer"),
                "notes"
            ),
            "update its own rows of notes, and hand its rows to another owner"
        );
        assert_eq!(
            phrase(Action::Insert, &read(Action::Insert, "other"), "notes"),
            "insert rows owned by others into notes"
        );
        assert_eq!(
            phrase(Action::Execute, &Reach::Execute(true), "f(uuid)"),
            "call f(uuid)"
        );
    }
}
