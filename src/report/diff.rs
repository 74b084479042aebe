//! `rlsgate diff`: the cells whose access widened or narrowed between two JSON reports,
//! worded for a pull-request review ("anon can now read all rows of profiles").

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::Serialize;

use super::function_diff::{diff_functions, FunctionChange};
use super::matrix::Report;
use crate::matrix::{Command, TableRef};

/// What a cell's scope text grants, as a set that can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every row (`all`, or INSERT `any`).
    Everything { transfer: bool },
    /// These labels (`own` is the identity's own label), plus an ownership transfer.
    Some {
        labels: BTreeSet<String>,
        transfer: bool,
    },
    /// The probe said nothing (`inconclusive`, `unspecified`).
    Unknown,
}

impl Reach {
    /// Reads a scope text (`none`, `own`, `all`, `{alice, public}`, `deny`, `any`, `other`,
    /// with an optional `+transfer`) of `identity`.
    pub fn parse(text: &str, identity: &str) -> Reach {
        let (text, transfer) = match text.strip_suffix("+transfer") {
            Some(t) => (t.trim(), true),
            None => (text.trim(), false),
        };
        let labels = |ls: &[&str]| ls.iter().map(|s| s.to_string()).collect();
        match text {
            "none" | "deny" => Reach::Some {
                labels: BTreeSet::new(),
                transfer,
            },
            "own" => Reach::Some {
                labels: labels(&[identity]),
                transfer,
            },
            "other" => Reach::Some {
                labels: labels(&["(others)"]),
                transfer,
            },
            "all" | "any" => Reach::Everything { transfer },
            t if t.starts_with('{') && t.ends_with('}') => Reach::Some {
                labels: t[1..t.len() - 1]
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
                transfer,
            },
            _ => Reach::Unknown,
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Reach::Some { labels, transfer: false } if labels.is_empty())
    }

    fn transfer(&self) -> bool {
        match self {
            Reach::Everything { transfer } | Reach::Some { transfer, .. } => *transfer,
            Reach::Unknown => false,
        }
    }

    /// `self` grants something `other` does not.
    pub fn exceeds(&self, other: &Reach) -> bool {
        match (self, other) {
            (Reach::Unknown, _) | (_, Reach::Unknown) => false,
            _ if self.transfer() && !other.transfer() => true,
            (Reach::Everything { .. }, Reach::Everything { .. }) => false,
            (Reach::Everything { .. }, Reach::Some { .. }) => true,
            (Reach::Some { .. }, Reach::Everything { .. }) => false,
            (Reach::Some { labels: a, .. }, Reach::Some { labels: b, .. }) => !a.is_subset(b),
        }
    }
}

/// How one cell moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Widened,
    Narrowed,
    /// Became or stopped being inconclusive, or moved where no order applies.
    Changed,
}

#[derive(Debug, Clone, Serialize)]
pub struct CellChange {
    pub table: String,
    pub identity: String,
    pub command: Command,
    /// `None`: the cell is new (a table or identity added).
    pub old: Option<String>,
    /// `None`: the cell is gone.
    pub new: Option<String>,
    pub change: Change,
    /// The sentence for a reviewer.
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub changes: Vec<CellChange>,
    /// Who gained or lost EXECUTE on a function.
    pub functions: Vec<FunctionChange>,
    pub widened: usize,
    pub narrowed: usize,
    pub changed: usize,
    pub old_summary: crate::verdict::Summary,
    pub new_summary: crate::verdict::Summary,
}

impl Diff {
    pub fn has_widened(&self) -> bool {
        self.widened > 0
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.functions.is_empty()
    }

    /// The changes of one kind, identities that moved the same way on the same table and
    /// command merged into one line: (sentence, table, command, before, after).
    pub fn grouped(&self, change: Change) -> Vec<(String, &str, Command, &str, &str)> {
        let mut groups: Vec<(&CellChange, Vec<&str>)> = Vec::new();
        for c in self.changes.iter().filter(|c| c.change == change) {
            match groups.iter_mut().find(|(g, _)| {
                g.table == c.table && g.command == c.command && g.old == c.old && g.new == c.new
            }) {
                Some((_, ids)) => ids.push(&c.identity),
                None => groups.push((c, vec![&c.identity])),
            }
        }
        groups
            .into_iter()
            .map(|(c, ids)| {
                let table = c.table.strip_prefix("public.").unwrap_or(&c.table);
                (
                    sentence(
                        &ids.join(", "),
                        c.command,
                        table,
                        c.old.as_deref(),
                        c.new.as_deref(),
                    ),
                    c.table.as_str(),
                    c.command,
                    c.old.as_deref().unwrap_or("–"),
                    c.new.as_deref().unwrap_or("–"),
                )
            })
            .collect()
    }
}

fn verb(command: Command) -> &'static str {
    match command {
        Command::Select => "read",
        Command::Insert => "insert",
        Command::Update => "update",
        Command::Delete => "delete",
    }
}

/// "all rows of profiles", "its own rows of profiles", "rows owned by anyone into profiles".
pub fn phrase(command: Command, scope: &str, identity: &str, table: &str) -> String {
    let transfer = scope.ends_with("+transfer");
    let base = scope.trim_end_matches("+transfer").trim();
    let mut text = if command == Command::Insert {
        match base {
            "any" => format!("insert rows owned by anyone into {table}"),
            "own" => format!("insert its own rows into {table}"),
            "other" => format!("insert rows owned by others into {table}"),
            "deny" | "none" => format!("not insert into {table}"),
            other => format!("insert into {table} ({other})"),
        }
    } else {
        let v = verb(command);
        match base {
            "all" => format!("{v} all rows of {table}"),
            "own" => format!("{v} its own rows of {table}"),
            "none" => format!("not {v} any row of {table}"),
            "inconclusive" => format!("{v} ? rows of {table} (probe inconclusive)"),
            labels => {
                let _ = identity;
                format!(
                    "{v} the rows labelled {} of {table}",
                    labels.trim_matches(|c| c == '{' || c == '}')
                )
            }
        }
    };
    if transfer {
        text.push_str(", and hand its rows to another owner");
    }
    text
}

fn sentence(
    identity: &str,
    command: Command,
    table: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> String {
    let lost = new.is_some_and(|n| Reach::parse(n, identity).is_empty());
    match (old, new) {
        (Some(old), Some(new)) if matches!(Reach::parse(new, identity), Reach::Unknown) => {
            format!("{identity}: {command} on {table} is now {new} (was: {old})")
        }
        (Some(old), Some(_)) if lost => {
            let what = if command == Command::Insert {
                format!("insert into {table}")
            } else {
                format!("{} any row of {table}", verb(command))
            };
            format!("{identity} can no longer {what} (was: {old})")
        }
        (Some(old), Some(new)) => format!(
            "{identity} can now {} (was: {old})",
            phrase(command, new, identity, table)
        ),
        (None, Some(new)) => format!(
            "new: {identity} can {}",
            phrase(command, new, identity, table)
        ),
        (Some(old), None) => format!(
            "gone: {identity} could {}",
            phrase(command, old, identity, table)
        ),
        (None, None) => String::new(),
    }
}

/// Compares two reports cell by cell (`actual` scopes); unchanged cells are left out.
pub fn diff(old: &Report, new: &Report) -> Diff {
    type Key = (TableRef, String, Command);
    let index = |r: &Report| -> BTreeMap<Key, String> {
        r.cells
            .iter()
            .map(|c| {
                (
                    (c.table.clone(), c.identity.clone(), c.command),
                    c.actual.clone(),
                )
            })
            .collect()
    };
    let (a, b) = (index(old), index(new));
    let keys: BTreeSet<&Key> = a.keys().chain(b.keys()).collect();
    let mut changes = Vec::new();
    for key in keys {
        let (table, identity, command) = key;
        let (o, n) = (a.get(key), b.get(key));
        if o == n {
            continue;
        }
        let shown = table.display_name();
        let reach = |s: Option<&String>| match s {
            Some(s) => Reach::parse(s, identity),
            None => Reach::Some {
                labels: BTreeSet::new(),
                transfer: false,
            },
        };
        let (ro, rn) = (reach(o), reach(n));
        let change = if matches!(ro, Reach::Unknown) || matches!(rn, Reach::Unknown) {
            Change::Changed
        } else if rn.exceeds(&ro) {
            Change::Widened
        } else if ro.exceeds(&rn) {
            Change::Narrowed
        } else {
            Change::Changed
        };
        if o.is_none() && rn.is_empty() || n.is_none() && ro.is_empty() {
            continue;
        }
        changes.push(CellChange {
            table: table.to_string(),
            identity: identity.clone(),
            command: *command,
            old: o.cloned(),
            new: n.cloned(),
            change,
            message: sentence(
                identity,
                *command,
                &shown,
                o.map(String::as_str),
                n.map(String::as_str),
            ),
        });
    }
    changes.sort_by(|x, y| {
        (x.change, &x.table, &x.identity, x.command).cmp(&(
            y.change,
            &y.table,
            &y.identity,
            y.command,
        ))
    });
    let functions = diff_functions(old, new);
    let count = |c: Change| {
        changes.iter().filter(|x| x.change == c).count()
            + functions.iter().filter(|x| x.change == c).count()
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
        for (message, table, command, old, new) in items {
            writeln!(
                out,
                "| {} | `{table}` | {command} | {old} | {new} |",
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
            writeln!(
                out,
                "| {mark} {} | `{}` | {} | {} | {} |",
                c.message.replace('|', "\\|"),
                c.function.display_name(),
                c.identity,
                c.old.as_deref().unwrap_or("–"),
                c.new.as_deref().unwrap_or("–")
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
    fn reach_orders_scopes() {
        let r = |s| Reach::parse(s, "alice");
        assert!(r("all").exceeds(&r("own")));
        assert!(r("own").exceeds(&r("none")));
        assert!(!r("own").exceeds(&r("all")));
        assert!(r("{alice, public}").exceeds(&r("own")));
        assert!(!r("own").exceeds(&r("{alice, public}")));
        assert!(r("any").exceeds(&r("own")));
        assert!(r("own").exceeds(&r("deny")));
        assert!(r("own+transfer").exceeds(&r("own")));
        assert!(!r("inconclusive").exceeds(&r("none")));
    }

    #[test]
    fn phrases_read_like_a_review() {
        assert_eq!(
            phrase(Command::Select, "all", "anon", "profiles"),
            "read all rows of profiles"
        );
        assert_eq!(
            phrase(Command::Update, "own+transfer", "alice", "notes"),
            "update its own rows of notes, and hand its rows to another owner"
        );
    }
}
