//! The rules of one spec line: `who = "scope"` or `who = { command = scope, ... }`, and the
//! scope words they are written in.

use std::collections::BTreeSet;
use std::ops::Range;

use toml_edit::{Item, Key, TableLike, Value};

use super::error::{closest, did_you_mean, SpecErrors};
use super::source::{entries, item_span, kind, value_kind, SourceFile};
use crate::matrix::{InsertScope, Scope};

/// The keys of a table's section that are not identities.
pub(super) const TABLE_KEYS: [&str; 2] = ["owner", "tenant"];
pub(super) const ENTRY_KEYS: [&str; 5] = ["select", "insert", "update", "delete", "transfer"];
pub(super) const SCOPE_WORDS: [&str; 4] = ["none", "own", "tenant", "all"];
const INSERT_WORDS: [&str; 6] = ["deny", "own", "tenant", "any", "none", "all"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Loc {
    pub file: usize,
    pub start: usize,
    pub end: usize,
}

impl Loc {
    pub fn span(self) -> Range<usize> {
        self.start..self.end
    }
}

pub(super) fn loc(file: usize, span: Option<Range<usize>>) -> Loc {
    let span = span.unwrap_or(0..0);
    Loc {
        file,
        start: span.start,
        end: span.end,
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Rules {
    pub select: Option<(Scope, Loc)>,
    pub insert: Option<(InsertScope, Loc)>,
    pub update: Option<(Scope, Loc)>,
    pub delete: Option<(Scope, Loc)>,
    pub transfer: Option<(bool, Loc)>,
    /// Each label used in a list, for validation.
    pub labels: Vec<(String, Loc)>,
    /// Each `tenant...` and `own:...` word, checked against the row model once it is known.
    pub model_words: Vec<(String, Loc)>,
}

impl Rules {
    /// The same declarations, wherever they were written.
    pub fn same_as(&self, other: &Rules) -> bool {
        fn value<T: PartialEq>(a: &Option<(T, Loc)>, b: &Option<(T, Loc)>) -> bool {
            a.as_ref().map(|x| &x.0) == b.as_ref().map(|x| &x.0)
        }
        value(&self.select, &other.select)
            && value(&self.insert, &other.insert)
            && value(&self.update, &other.update)
            && value(&self.delete, &other.delete)
            && value(&self.transfer, &other.transfer)
    }

    fn note_word(&mut self, word: &str, at: Loc) {
        if word.starts_with("tenant") || word.starts_with("own:") {
            self.model_words.push((word.to_string(), at));
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub key: String,
    pub key_loc: Loc,
    pub rules: Rules,
}

pub(super) fn parse_entries(
    index: usize,
    file: &SourceFile,
    table: &dyn TableLike,
    context: &str,
    errors: &mut SpecErrors,
) -> Vec<Entry> {
    entries(table)
        .into_iter()
        .filter_map(|(k, v)| parse_entry(index, file, k, v, context, errors))
        .collect()
}

pub(super) fn parse_entry(
    index: usize,
    file: &SourceFile,
    key: &Key,
    item: &Item,
    context: &str,
    errors: &mut SpecErrors,
) -> Option<Entry> {
    let who = key.get();
    let key_loc = loc(index, key.span());
    let mut rules = Rules::default();
    if TABLE_KEYS.contains(&who) {
        errors.push(
            file.error_labelled(
                key.span(),
                format!("`{who}` applies to one table"),
                "not in [defaults]",
            )
            .with_help("move it under the table it describes: `[tables.<name>]`"),
        );
        return None;
    }
    if ENTRY_KEYS.contains(&who) {
        errors.push(
            file.error_labelled(
                key.span(),
                format!("`{who}` needs an identity or role group"),
                "a command, not an identity",
            )
            .with_help(format!(
                "write `authenticated = {{ {who} = \"own\" }}`, or `[tables.{context}.<identity>]` above `{who} = ...`"
            )),
        );
        return None;
    }
    match item {
        Item::Value(Value::String(s)) => {
            let l = loc(index, s.span());
            let word = s.value().as_str();
            let (Some(scope), Some(insert)) = (scope_word(word), insert_word(word)) else {
                let help = match word {
                    "deny" => {
                        "`deny` is for insert only; for every command write \"none\"".to_string()
                    }
                    "any" => {
                        "`any` is for insert only; for every command write \"all\"".to_string()
                    }
                    _ if context != "defaults" && closest(who, ["owner"]).is_some() => {
                        format!("did you mean `owner = \"{word}\"`?")
                    }
                    _ => did_you_mean(word, SCOPE_WORDS).unwrap_or_else(|| {
                        "a string applies to every command: \"none\", \"own\", \"tenant\", \"all\", \"tenant:ROLE\" or \"own:COLUMN\""
                            .to_string()
                    }),
                };
                errors.push(
                    file.error_labelled(
                        s.span(),
                        format!("unknown scope \"{word}\""),
                        "not a scope",
                    )
                    .with_help(help),
                );
                return None;
            };
            rules.note_word(word, l);
            rules.select = Some((scope.clone(), l));
            rules.update = Some((scope.clone(), l));
            rules.delete = Some((scope, l));
            rules.insert = Some((insert, l));
        }
        Item::Value(Value::Array(a)) => {
            errors.push(
                file.error_labelled(
                    a.span(),
                    format!("a label set needs a command for `{who}`"),
                    "which command?",
                )
                .with_help(format!(
                    "write `{who} = {{ select = {} }}`",
                    a.to_string().trim()
                )),
            );
            return None;
        }
        _ => match item.as_table_like() {
            Some(table) => {
                for (ckey, citem) in entries(table) {
                    parse_rule(index, file, ckey, citem, &mut rules, errors);
                }
            }
            None => {
                errors.push(
                    file.error_labelled(
                        item_span(key, item),
                        format!("the rules for `{who}` must be a scope or a table, found {}", kind(item)),
                        "expected a string or a table",
                    )
                    .with_help(format!(
                        "write `{who} = \"own\"` or `{who} = {{ select = \"all\", insert = \"deny\" }}`"
                    )),
                );
                return None;
            }
        },
    }
    Some(Entry {
        key: who.to_string(),
        key_loc,
        rules,
    })
}

fn parse_rule(
    index: usize,
    file: &SourceFile,
    key: &Key,
    item: &Item,
    rules: &mut Rules,
    errors: &mut SpecErrors,
) {
    let name = key.get();
    let span = item_span(key, item);
    let l = loc(index, span.clone());
    match name {
        "transfer" => match item.as_bool() {
            Some(b) => rules.transfer = Some((b, l)),
            None => errors.push(
                file.error_labelled(span, format!("`transfer` must be true or false, found {}", kind(item)), "expected a boolean"),
            ),
        },
        "insert" => match item.as_str() {
            Some(word) => match insert_word(word) {
                Some(scope) => {
                    rules.note_word(word, l);
                    rules.insert = Some((scope, l))
                }
                None => errors.push(
                    file.error_labelled(span, format!("unknown insert scope \"{word}\""), "not an insert scope")
                        .with_help(did_you_mean(word, INSERT_WORDS).unwrap_or_else(|| {
                            "insert is \"deny\", \"own\", \"tenant\", \"any\", \"tenant:ROLE\" or \"own:COLUMN\"".to_string()
                        })),
                ),
            },
            None => errors.push(
                file.error_labelled(span, format!("`insert` must be \"deny\", \"own\", \"tenant\" or \"any\", found {}", kind(item)), "expected a string")
                    .with_help("lists apply to select, update and delete; insert is one word: \"deny\", \"own\", \"tenant\" or \"any\""),
            ),
        },
        "select" | "update" | "delete" => {
            let scope = match item {
                Item::Value(Value::String(s)) => {
                    let word = s.value().as_str();
                    match scope_word(word) {
                        Some(scope) => {
                            rules.note_word(word, l);
                            Some(scope)
                        }
                        None => {
                            let help = match word {
                                "any" => "did you mean `all`? (`any` is for insert)".to_string(),
                                "deny" => "did you mean `none`? (`deny` is for insert)".to_string(),
                                _ => did_you_mean(word, SCOPE_WORDS).unwrap_or_else(|| {
                                    format!("{name} is \"none\", \"own\", \"tenant\", \"all\", \"tenant:ROLE\", \"own:COLUMN\" or a list of these and row labels")
                                }),
                            };
                            errors.push(
                                file.error_labelled(span, format!("unknown {name} scope \"{word}\""), "not a scope")
                                    .with_help(help),
                            );
                            None
                        }
                    }
                }
                Item::Value(Value::Array(array)) => {
                    let mut parts = Vec::new();
                    let mut labels = BTreeSet::new();
                    let mut ok = true;
                    for value in array.iter() {
                        match value.as_str() {
                            Some(word) => {
                                let at = loc(index, value.span());
                                match scope_word(word) {
                                    Some(scope) => {
                                        rules.note_word(word, at);
                                        parts.push(scope);
                                    }
                                    None => {
                                        labels.insert(word.to_string());
                                        rules.labels.push((word.to_string(), at));
                                    }
                                }
                            }
                            None => {
                                ok = false;
                                errors.push(file.error_labelled(
                                    value.span(),
                                    format!("a row label must be a string, found {}", value_kind(value)),
                                    "expected a string",
                                ));
                            }
                        }
                    }
                    ok.then(|| union(parts, labels))
                }
                _ => {
                    errors.push(
                        file.error_labelled(span, format!("`{name}` must be a scope or a list of labels, found {}", kind(item)), "expected a string or an array")
                            .with_help(format!("write `{name} = \"own\"` or `{name} = [\"alice\", \"public\"]`")),
                    );
                    None
                }
            };
            if let Some(scope) = scope {
                let slot = match name {
                    "select" => &mut rules.select,
                    "update" => &mut rules.update,
                    _ => &mut rules.delete,
                };
                *slot = Some((scope, l));
            }
        }
        _ => errors.push(file.unknown_key(key, "command", &ENTRY_KEYS)),
    }
}

/// A scope word: `none`, `own`, `all`, `tenant`, `tenant:ROLE`, `own:COLUMN`.
pub fn scope_word(word: &str) -> Option<Scope> {
    match word {
        "none" => Some(Scope::None),
        "own" => Some(Scope::Own),
        "all" => Some(Scope::All),
        "tenant" => Some(Scope::Tenant(None)),
        _ => {
            if let Some(role) = qualifier(word, "tenant:") {
                Some(Scope::Tenant(Some(role)))
            } else {
                qualifier(word, "own:").map(Scope::Party)
            }
        }
    }
}

/// An insert word: `deny` (or `none`), `own`, `tenant`, `any` (or `all`), `tenant:ROLE`,
/// `own:COLUMN`.
pub fn insert_word(word: &str) -> Option<InsertScope> {
    match word {
        "deny" | "none" => Some(InsertScope::Deny),
        "own" => Some(InsertScope::Own),
        "any" | "all" => Some(InsertScope::Any),
        "tenant" => Some(InsertScope::Tenant(None)),
        _ => {
            if let Some(role) = qualifier(word, "tenant:") {
                Some(InsertScope::Tenant(Some(role)))
            } else {
                qualifier(word, "own:").map(InsertScope::Party)
            }
        }
    }
}

/// `tenant:admin` -> `admin`: a non-empty name without spaces after the prefix.
fn qualifier(word: &str, prefix: &str) -> Option<String> {
    word.strip_prefix(prefix)
        .filter(|q| !q.is_empty() && !q.contains(char::is_whitespace))
        .map(str::to_string)
}

/// The scope a list stands for: one element as itself, several as their union, the labels
/// as one set.
fn union(mut parts: Vec<Scope>, labels: BTreeSet<String>) -> Scope {
    if !labels.is_empty() {
        parts.push(Scope::Labels(labels));
    }
    match parts.len() {
        0 => Scope::None,
        1 => parts.pop().expect("one part"),
        _ => Scope::Union(parts),
    }
}

/// A scope in the words of the specs (one rendering: the verdict's).
pub fn scope_text(scope: &Scope) -> String {
    crate::verdict::scope_words(scope)
}

pub fn insert_text(scope: &InsertScope) -> String {
    crate::verdict::insert_word(scope)
}
