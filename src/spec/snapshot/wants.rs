//! What a snapshot writes for each cell, and how it lands in a spec file's TOML.

use std::collections::BTreeMap;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use super::reality::Reality;
use crate::matrix::{Command, InsertScope, Scope, TableRef};
use crate::spec::identities::Identity;
use crate::spec::specs::{insert_text, scope_text, Specs, ROLE_GROUPS};
use crate::verdict::{self, Cell, Observed};

/// One value to write for an identity on a table.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Want {
    pub(super) identity: String,
    pub(super) role: String,
    pub(super) command: Command,
    pub(super) value: Written,
    /// UPDATE only: write `transfer = x` as well.
    pub(super) transfer: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Written {
    Rows(Scope),
    Insert(InsertScope),
}

impl Written {
    pub(super) fn toml(&self) -> Value {
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

pub(super) fn want_for(cell: &Cell, specs: &Specs, reality: &Reality) -> Option<Want> {
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

pub(super) fn find_table<'a>(
    doc: &'a DocumentMut,
    table: &TableRef,
) -> Option<&'a dyn toml_edit::TableLike> {
    let tables = doc.get("tables")?.as_table_like()?;
    tables
        .iter()
        .find(|(k, _)| crate::spec::specs::parse_table_name(k) == *table)
        .and_then(|(_, item)| item.as_table_like())
}

pub(super) fn find_table_mut<'a>(
    doc: &'a mut DocumentMut,
    table: &TableRef,
) -> Option<&'a mut dyn toml_edit::TableLike> {
    let tables = doc.get_mut("tables")?.as_table_like_mut()?;
    let key = tables
        .iter()
        .find(|(k, _)| crate::spec::specs::parse_table_name(k) == *table)
        .map(|(k, _)| k.to_string())?;
    tables.get_mut(&key)?.as_table_like_mut()
}

/// Where every identity that takes a command from the same group line of the table (`authenticated
/// = "own"`) needs the same new value, change that line rather than adding one per identity.
pub(super) fn merge_into_groups(
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
pub(super) fn apply(section: &mut dyn toml_edit::TableLike, want: &Want) {
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
pub(super) fn set_value(rules: &mut dyn toml_edit::TableLike, key: &str, mut value: Value) {
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
pub(super) fn new_section(wants: &[Want], identities: &[Identity]) -> Table {
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
pub(super) fn hoist_defaults(doc: &mut DocumentMut, reality: &Reality) {
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
