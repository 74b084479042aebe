//! `rlsgate snapshot` for functions: each function whose EXECUTE cells disagree with the specs
//! (or that no spec covers) gets one complete line in `[functions]`: who may call it.

use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use super::function_specs::FunctionKey;
use super::identities::Identity;
use super::specs::Specs;
use crate::probe::functions::FunctionAccess;
use crate::verdict::{judge_functions, Cell, CellOutcome};

/// The function cells that differ from the specs, and the edits that make the specs agree.
pub fn plan_functions(
    docs: &mut Vec<(PathBuf, DocumentMut, bool)>,
    target: &Path,
    specs: &Specs,
    functions: &[FunctionAccess],
    identities: &[Identity],
) -> Vec<Cell> {
    let differences: Vec<Cell> = judge_functions(functions, specs, identities, &[])
        .into_iter()
        .filter(|c| matches!(c.outcome, CellOutcome::Fail | CellOutcome::Unspecified))
        .collect();
    let callable: Vec<&FunctionAccess> = functions.iter().filter(|f| f.callable).collect();
    let files: Vec<&Path> = specs.files().collect();
    let declared: Vec<(&FunctionKey, &Path)> = specs
        .functions()
        .keys()
        .map(|(k, file)| (k, files[file]))
        .collect();
    let mut done: Vec<FunctionKey> = Vec::new();
    for cell in &differences {
        let Some(f) = callable
            .iter()
            .find(|f| cell.subject.as_function() == Some(&f.function))
        else {
            continue;
        };
        let overload = FunctionKey::of(&f.function, true);
        let by_name = FunctionKey::of(&f.function, false);
        let siblings: Vec<&&FunctionAccess> =
            callable.iter().filter(|g| by_name.matches(g)).collect();
        let same_everywhere = siblings.iter().all(|g| {
            who_may_call(g, identities).to_string() == who_may_call(f, identities).to_string()
        });
        let declared_at = |one_overload: bool| {
            declared
                .iter()
                .find(|(k, _)| k.args.is_some() == one_overload && k.matches(f))
                .map(|(k, path)| ((*k).clone(), path.to_path_buf()))
        };
        let (key, home) = match declared_at(true) {
            Some(found) => found,
            None => match declared_at(false) {
                Some(found) if same_everywhere => found,
                Some((_, path)) => (overload, path),
                None if siblings.len() == 1 => (by_name, functions_home(docs, target)),
                None => (overload, functions_home(docs, target)),
            },
        };
        if done.contains(&key) {
            continue;
        }
        let value = who_may_call(f, identities);
        let index = match docs.iter().position(|(p, _, _)| *p == home) {
            Some(i) => i,
            None => {
                docs.push((home.clone(), DocumentMut::new(), false));
                docs.len() - 1
            }
        };
        let (_, doc, changed) = &mut docs[index];
        write_line(doc, &key, value);
        *changed = true;
        done.push(key);
    }
    differences
}

/// The file holding a `[functions]` table already, else `target`.
fn functions_home(docs: &[(PathBuf, DocumentMut, bool)], target: &Path) -> PathBuf {
    docs.iter()
        .find(|(_, doc, _)| doc.contains_key("functions"))
        .map_or_else(|| target.to_path_buf(), |(p, _, _)| p.clone())
}

/// `"all"`, `"none"`, or the identities that may call `f`, a role group standing for two or
/// more identities that all may.
fn who_may_call(f: &FunctionAccess, identities: &[Identity]) -> Value {
    let allowed = |i: &Identity| f.execute.get(&i.name).copied().unwrap_or(false);
    if identities.iter().all(allowed) {
        return Value::from("all");
    }
    if !identities.iter().any(allowed) {
        return Value::from("none");
    }
    let mut names: Vec<String> = Vec::new();
    for identity in identities.iter().filter(|i| allowed(i)) {
        let group: Vec<&Identity> = identities
            .iter()
            .filter(|i| i.role == identity.role)
            .collect();
        let name_is_role = identities.iter().any(|i| i.name == identity.role);
        let whole_group = group.len() >= 2 && group.iter().all(|i| allowed(i)) && !name_is_role;
        let written = if whole_group {
            identity.role.clone()
        } else {
            identity.name.clone()
        };
        if !names.contains(&written) {
            names.push(written);
        }
    }
    Value::Array(names.iter().map(String::as_str).collect::<Array>())
}

/// Set `key = value` in the document's `[functions]`, replacing the line that names the same
/// function (keeping its comments) or adding one.
fn write_line(doc: &mut DocumentMut, key: &FunctionKey, mut value: Value) {
    let functions = doc
        .entry("functions")
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .expect("`functions` is a table");
    let existing = functions
        .iter()
        .find(|(k, _)| FunctionKey::parse(k).as_ref() == Some(key))
        .map(|(k, _)| k.to_string());
    match existing {
        Some(name) => {
            match functions.get(&name).and_then(Item::as_value) {
                Some(old) => *value.decor_mut() = old.decor().clone(),
                // A `[functions.name]` section becomes a `name = ...` line.
                None => {
                    if let Some(mut key) = functions.key_mut(&name) {
                        key.leaf_decor_mut().clear();
                    }
                }
            }
            if let Some(slot) = functions.get_mut(&name) {
                *slot = Item::Value(value);
            }
        }
        None => {
            functions.insert(&key.text(), Item::Value(value));
        }
    }
}
