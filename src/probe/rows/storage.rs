//! Supabase Storage: objects live in every bucket the app has (made by its migrations or
//! seed, or named by its storage policies), one in each identity's folder (`{sub}/...`, owned
//! by the identity, as uploads are) and one outside any identity's folder. Storage policies
//! scope by bucket (`bucket_id = 'docs'`) and by folder
//! (`(storage.foldername(name))[1] = auth.uid()::text`): rows in buckets of our own making
//! would never meet them.

use std::collections::BTreeMap;

use super::place::Slot;
use super::{PlacedRow, RowSpec, Synthesizer, PUBLIC};
use crate::matrix::TableRef;
use crate::probe::catalog::Relation;
use crate::probe::ownership::user::is_storage;
use crate::probe::values::literal;

/// The folder of objects outside every identity's folder: a user id nobody has.
pub const NOBODYS_FOLDER: &str = "00000000-0000-4000-8000-000000000000";

impl<'a> Synthesizer<'a> {
    /// The buckets the storage policies name, in order of appearance.
    pub(super) fn named_buckets(&self) -> Vec<String> {
        let mut names = Vec::new();
        for rel in &self.catalog.relations {
            if is_storage(&rel.table, "objects") {
                for name in bucket_literals(&rel.policy_text, "bucket_id") {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
        }
        names
    }

    /// The buckets still to make: those the policies name that no migration made.
    pub(super) fn bucket_slots(&self, rel: &Relation, adopted: &[PlacedRow]) -> Vec<Slot<'a>> {
        let exists = |name: &str| {
            adopted
                .iter()
                .any(|r| r.json.get("id").and_then(|v| v.as_str()) == Some(name))
        };
        let mut slots: Vec<Slot<'a>> = self
            .named_buckets()
            .into_iter()
            .filter(|name| !exists(name))
            .map(|name| {
                let mut slot = Slot::new(name.clone());
                for column in ["id", "name"] {
                    if let Some(c) = rel.column(column) {
                        slot.fixed.insert(
                            column.to_string(),
                            format!("{}::{}", literal(&name), c.sql_type),
                        );
                    }
                }
                slot
            })
            .collect();
        if adopted.is_empty() && slots.is_empty() {
            slots.push(Slot::new(PUBLIC.to_string()));
        }
        slots
    }

    /// Per bucket: an object owned by each identity in its folder, and one outside.
    pub(super) fn object_slots(&self) -> Vec<Slot<'a>> {
        let mut slots = Vec::new();
        for bucket in self.buckets() {
            let fixed = BTreeMap::from([(
                "bucket_id".to_string(),
                format!("{}::text", literal(&bucket)),
            )]);
            for owner in self.owners() {
                let mut slot = Slot::new(format!("{bucket}/{}", owner.name));
                slot.owner = Some(owner);
                slot.fixed = fixed.clone();
                slots.push(slot);
            }
            // an app whose storage trigger needs an uploader has no such object: not an error
            let mut slot = Slot::new(format!("{bucket}/{PUBLIC}"));
            slot.fixed = fixed;
            slot.optional = true;
            slots.push(slot);
        }
        slots
    }

    /// The ids of the buckets placed.
    fn buckets(&self) -> Vec<String> {
        self.states
            .get(&TableRef::new("storage", "buckets"))
            .map(|s| {
                s.rows
                    .iter()
                    .filter_map(|r| r.json.get("id")?.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A probe row of `rel` in each bucket, for `storage.objects`; else `spec` alone.
    pub fn per_bucket<'s>(&self, rel: &Relation, spec: &RowSpec<'s>) -> Vec<RowSpec<'s>> {
        if !is_storage(&rel.table, "objects") || spec.fixed.contains_key("bucket_id") {
            return vec![spec.clone()];
        }
        let buckets = self.buckets();
        if buckets.is_empty() {
            return vec![spec.clone()];
        }
        buckets
            .into_iter()
            .map(|bucket| {
                let mut one = spec.clone();
                one.fixed.insert(
                    "bucket_id".to_string(),
                    format!("{}::text", literal(&bucket)),
                );
                one
            })
            .collect()
    }

    /// A bucket row is labelled by its id.
    pub(super) fn bucket_label(row: &PlacedRow) -> Option<String> {
        row.json.get("id")?.as_str().map(str::to_string)
    }
}

/// The string literals `column` is compared with in a policy's text as `pg_get_expr` prints
/// it: `(bucket_id = 'docs'::text)`, `(bucket_id = ANY (ARRAY['a'::text, 'b'::text]))`,
/// `('docs'::text = bucket_id)`.
pub fn bucket_literals(text: &str, column: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(column) {
        let before = text[..at].chars().next_back();
        let after_at = at + column.len();
        let after = text[after_at..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if part(before) || part(after) {
            continue;
        }
        let rest = text[after_at..].trim_start_matches([' ', ')']);
        if let Some(rest) = rest.strip_prefix('=') {
            let rest = rest.trim_start();
            if let Some(array) = rest.strip_prefix("ANY (ARRAY[") {
                let list = array.split(']').next().unwrap_or_default();
                out.extend(literals(list));
            } else if rest.starts_with('\'') {
                out.extend(literals(rest).into_iter().take(1));
            }
            continue;
        }
        // `'docs'::text = bucket_id`
        let head = text[..at].trim_end_matches([' ', '(']);
        if let Some(head) = head.strip_suffix('=') {
            let head = head.trim_end();
            let head = head.strip_suffix("::text").unwrap_or(head);
            if let Some(open) = head.strip_suffix('\'').and_then(|h| h.rfind('\'')) {
                out.extend(literals(&head[open..]).into_iter().take(1));
            }
        }
    }
    out
}

/// The `'...'` literals in `text`, unquoted.
fn literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut value = String::new();
        while let Some((_, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    value.push('\'');
                    continue;
                }
                break;
            }
            value.push(c);
        }
        out.push(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::bucket_literals;

    #[test]
    fn bucket_names_are_read_from_policy_text() {
        assert_eq!(
            bucket_literals("(bucket_id = 'docs'::text)", "bucket_id"),
            ["docs"]
        );
        assert_eq!(
            bucket_literals(
                "((bucket_id = ANY (ARRAY['a'::text, 'it''s'::text])) AND (owner = auth.uid()))",
                "bucket_id"
            ),
            ["a", "it's"]
        );
        assert_eq!(
            bucket_literals("('avatars'::text = bucket_id)", "bucket_id"),
            ["avatars"]
        );
        assert!(bucket_literals("(my_bucket_id = 'x'::text)", "bucket_id").is_empty());
    }
}
