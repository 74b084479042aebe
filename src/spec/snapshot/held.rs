//! Cells a snapshot holds back: written commented out with why, replaced by the next snapshot.

use toml_edit::{DocumentMut, Item, Table};

use super::wants::Want;
use crate::matrix::TableRef;
use crate::verdict::{Action, Cell, Subject};

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

    pub(super) fn holds(&self, subject: &Subject, identity: &str, action: Action) -> bool {
        &self.subject == subject && self.identity == identity && self.action == action
    }
}

/// Marks the comments of held-back cells, so a second snapshot replaces them.
pub(super) const HELD_MARK: &str = "held back by `rlsgate snapshot`:";
/// The second line of a held-back block.
pub(super) const HELD_HOW: &str = "# Fix the database";

/// `text` without the held-back block an earlier snapshot wrote (its mark line and the
/// indented lines below it), when it holds one.
pub(super) fn strip_held(text: &str) -> Option<String> {
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
pub(super) fn clear_held(table: &mut Table) -> bool {
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
pub(super) fn sections_mut(doc: &mut DocumentMut) -> Vec<(TableRef, &mut Table)> {
    let Some(tables) = doc.get_mut("tables").and_then(Item::as_table_mut) else {
        return Vec::new();
    };
    tables
        .iter_mut()
        .filter_map(|(key, item)| {
            let table = crate::spec::specs::parse_table_name(key.get());
            item.as_table_mut().map(|t| (table, t))
        })
        .collect()
}

/// Comment lines right below a section's header: each identity's held cells as the line that
/// would declare them, then why each was held back.
pub(super) fn hold_in(section: &mut Table, held: &[(Want, &Held)]) {
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
pub(super) fn append_comment(table: &mut Table, lines: &[String]) {
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
