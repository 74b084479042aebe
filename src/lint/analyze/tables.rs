//! What the rules need to know about a table beyond its RLS state: its columns (CREATE TABLE,
//! ALTER TABLE ADD/DROP/RENAME COLUMN) and its triggers.

use super::{qualified, Analyzer};
use crate::lint::model::{Model, PolicyCommand, Relation, Site, Trigger};
use crate::lint::tokens::Cursor;
use crate::sql::lex::TokenKind;
use crate::sql::names::normalize_ident;

/// Words that start a table constraint rather than a column in a CREATE TABLE list.
const CONSTRAINT_WORDS: [&str; 6] = [
    "constraint",
    "primary",
    "unique",
    "check",
    "foreign",
    "exclude",
];

/// The columns a CREATE TABLE defines, read from the cursor just after the table's name:
/// `(a int, b text, primary key (a))`, or `partition of parent`. `None` when they cannot be
/// known from the statement alone (`like`, `inherits`, `as select`, `of type`).
pub(super) fn created_columns(cur: &mut Cursor<'_>, model: &Model) -> Option<Vec<String>> {
    if cur.eat_seq(&["partition", "of"]) {
        let parent = cur.name().and_then(|(p, _, _)| qualified(&p))?;
        return model.relations.get(&parent)?.columns.clone();
    }
    if !cur.peek()?.is_punct(cur.sql, '(') {
        return None;
    }
    cur.i += 1;
    let mut columns = Vec::new();
    let mut depth = 0usize;
    let mut at_start = true;
    while let Some(t) = cur.peek() {
        cur.i += 1;
        if t.is_punct(cur.sql, '(') {
            depth += 1;
        } else if t.is_punct(cur.sql, ')') {
            if depth == 0 {
                break;
            }
            depth -= 1;
        } else if depth == 0 && t.is_punct(cur.sql, ',') {
            at_start = true;
            continue;
        } else if at_start && depth == 0 {
            if t.is_word(cur.sql, "like") {
                return None;
            }
            let constraint = CONSTRAINT_WORDS.iter().any(|w| t.is_word(cur.sql, w));
            if !constraint && matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent) {
                columns.push(normalize_ident(cur.text(t)));
            }
        }
        at_start = false;
    }
    if cur.at_word("inherits") {
        return None;
    }
    Some(columns)
}

/// One ALTER TABLE action on columns, the cursor at its first word: `add [column] [if not
/// exists] c`, `drop [column] [if exists] c`, `rename [column] a to b`. Returns whether it was
/// one; the cursor stays put otherwise.
pub(super) fn column_action(cur: &mut Cursor<'_>, relation: Option<&mut Relation>) -> bool {
    let start = cur.i;
    let not_a_column = |cur: &Cursor<'_>| {
        CONSTRAINT_WORDS.iter().any(|w| cur.at_word(w))
            || ["not", "default", "identity", "expression"]
                .iter()
                .any(|w| cur.at_word(w))
    };
    let change: Option<(Option<String>, Option<String>)> = if cur.eat("add") {
        let column = cur.eat("column");
        if !column && not_a_column(cur) {
            None
        } else {
            cur.eat_seq(&["if", "not", "exists"]);
            cur.name().map(|(p, _, _)| (None, p.last().cloned()))
        }
    } else if cur.eat("drop") {
        let column = cur.eat("column");
        if !column && not_a_column(cur) {
            None
        } else {
            cur.eat_seq(&["if", "exists"]);
            cur.name().map(|(p, _, _)| (p.last().cloned(), None))
        }
    } else if cur.eat("rename") {
        cur.eat("column");
        if cur.at_word("to") || cur.at_word("constraint") {
            None
        } else {
            let from = cur.name().and_then(|(p, _, _)| p.last().cloned());
            if cur.eat("to") {
                cur.name().map(|(p, _, _)| (from, p.last().cloned()))
            } else {
                None
            }
        }
    } else {
        None
    };
    let Some((old, new)) = change else {
        cur.i = start;
        return false;
    };
    if let Some(columns) = relation.and_then(|r| r.columns.as_mut()) {
        match (old, new) {
            (Some(old), Some(new)) => {
                for c in columns.iter_mut().filter(|c| **c == old) {
                    *c = new.clone();
                }
            }
            (Some(old), None) => columns.retain(|c| *c != old),
            (None, Some(new)) => {
                if !columns.contains(&new) {
                    columns.push(new);
                }
            }
            (None, None) => {}
        }
    }
    true
}

impl Analyzer {
    /// `create [or replace] [constraint] trigger name {before|after|instead of} events on
    /// table ... execute {function|procedure} f(...)`, the cursor after `trigger`.
    pub(super) fn create_trigger(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        let Some((name, _, _)) = cur.name() else {
            return false;
        };
        let before = cur.eat("before");
        if !before && !cur.eat("after") && !cur.eat_seq(&["instead", "of"]) {
            return false;
        }
        let mut events = Vec::new();
        loop {
            if cur.eat("insert") {
                events.push(PolicyCommand::Insert);
            } else if cur.eat("update") {
                events.push(PolicyCommand::Update);
                if cur.eat("of") {
                    while cur.name().is_some() && cur.eat_punct(',') {}
                }
            } else if cur.eat("delete") {
                events.push(PolicyCommand::Delete);
            } else if !cur.eat("truncate") {
                break;
            }
            if !cur.eat("or") {
                break;
            }
        }
        if !cur.eat("on") {
            return false;
        }
        let Some(table) = cur.name().and_then(|(p, _, _)| qualified(&p)) else {
            return false;
        };
        while !(cur.done()
            || cur.eat_seq(&["execute", "function"])
            || cur.eat_seq(&["execute", "procedure"]))
        {
            cur.i += 1;
        }
        let Some(function) = cur.name().and_then(|(p, _, _)| qualified(&p)) else {
            return false;
        };
        let name = name.last().cloned().unwrap_or_default();
        self.model
            .triggers
            .retain(|t| !(t.table == table && t.name == name));
        self.touch(&table, site);
        self.model.triggers.push(Trigger {
            table,
            name,
            function,
            before,
            events,
            site: Some(site),
        });
        true
    }
}
