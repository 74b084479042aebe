//! Who owns a table's rows: a column holding the owner's user id (declared in the spec,
//! or inferred), or a parent row reached through a foreign key.

use super::catalog::{Catalog, Relation};
use crate::matrix::TableRef;
use crate::spec::OwnerSpec;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    /// The column holds the owner's `sub` (auth.users id).
    Column(String),
    /// The row belongs to the owner of the parent its foreign key (index into
    /// `Relation::foreign_keys`) references.
    Parent { fk: usize, parent: TableRef },
    /// Nobody's rows (reference data).
    None,
}

impl Ownership {
    pub fn is_owned(&self) -> bool {
        !matches!(self, Ownership::None)
    }
}

const OWNER_NAMES: [&str; 10] = [
    "user_id",
    "owner_id",
    "created_by",
    "author_id",
    "profile_id",
    "account_id",
    "creator_id",
    "owner",
    "user",
    "uid",
];

fn is_auth_users(t: &TableRef) -> bool {
    t.schema == "auth" && t.name == "users"
}

/// Ownership for every relation, in catalog order. `declared` gives spec overrides.
pub fn infer_all(
    catalog: &Catalog,
    declared: &dyn Fn(&TableRef) -> Option<OwnerSpec>,
) -> Vec<Ownership> {
    let mut result: Vec<Option<Ownership>> = vec![None; catalog.relations.len()];
    for (i, rel) in catalog.relations.iter().enumerate() {
        let via = |col: &str| {
            rel.foreign_keys
                .iter()
                .position(|fk| fk.columns.iter().any(|c| c == col))
                .map(|fk| Ownership::Parent {
                    fk,
                    parent: rel.foreign_keys[fk].target.clone(),
                })
        };
        match declared(&rel.table) {
            Some(OwnerSpec::Column(col)) if rel.column(&col).is_some() => {
                result[i] = Some(Ownership::Column(col))
            }
            Some(OwnerSpec::Via(col)) if via(&col).is_some() => result[i] = via(&col),
            Some(OwnerSpec::Nobody) => result[i] = Some(Ownership::None),
            _ => {}
        }
        if result[i].is_some() {
            continue;
        }
        if let Some(col) = direct_owner(rel, catalog) {
            result[i] = Some(Ownership::Column(col));
        }
    }
    // Ownership through parents, to a fixed point (chains of any depth).
    loop {
        let mut changed = false;
        for (i, rel) in catalog.relations.iter().enumerate() {
            if result[i].is_some() || is_auth_users(&rel.table) {
                continue;
            }
            let mut best: Option<(bool, usize)> = None;
            for (k, fk) in rel.foreign_keys.iter().enumerate() {
                let Some(pi) = catalog.relations.iter().position(|r| r.table == fk.target) else {
                    continue;
                };
                if pi == i || !matches!(result[pi], Some(ref o) if o.is_owned()) {
                    continue;
                }
                let required = fk
                    .columns
                    .iter()
                    .all(|c| rel.column(c).is_some_and(|c| c.not_null));
                if !required && requires_back(&catalog.relations[pi], &rel.table) {
                    // the parent needs this table's row first: a cycle through a nullable key
                    continue;
                }
                if best.is_none_or(|(req, _)| required && !req) {
                    best = Some((required, k));
                }
            }
            if let Some((_, k)) = best {
                result[i] = Some(Ownership::Parent {
                    fk: k,
                    parent: rel.foreign_keys[k].target.clone(),
                });
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    result
        .into_iter()
        .map(|o| o.unwrap_or(Ownership::None))
        .collect()
}

/// `parent` has a NOT NULL foreign key to `table`.
fn requires_back(parent: &Relation, table: &TableRef) -> bool {
    parent.foreign_keys.iter().any(|fk| {
        &fk.target == table
            && fk
                .columns
                .iter()
                .all(|c| parent.column(c).is_some_and(|c| c.not_null))
    })
}

fn direct_owner(rel: &Relation, catalog: &Catalog) -> Option<String> {
    if is_auth_users(&rel.table) {
        return Some("id".to_string());
    }
    let user_fks: Vec<&str> = rel
        .foreign_keys
        .iter()
        .filter(|fk| {
            fk.columns.len() == 1 && references_user(&fk.target, &fk.target_columns, catalog)
        })
        .map(|fk| fk.columns[0].as_str())
        .collect();
    let by_name = |cands: &[&str]| -> Option<String> {
        OWNER_NAMES
            .iter()
            .find_map(|n| cands.iter().find(|c| c.eq_ignore_ascii_case(n)))
            .map(|c| c.to_string())
    };
    if rel.primary_key.len() == 1 && user_fks.contains(&rel.primary_key[0].as_str()) {
        return Some(rel.primary_key[0].clone());
    }
    if let Some(c) = by_name(&user_fks) {
        return Some(c);
    }
    if let Some(c) = user_fks.first() {
        return Some(c.to_string());
    }
    let uuid_cols: Vec<&str> = rel
        .columns
        .iter()
        .filter(|c| c.base_type == "uuid" && !is_fk_column(rel, &c.name))
        .map(|c| c.name.as_str())
        .collect();
    by_name(&uuid_cols)
}

fn is_fk_column(rel: &Relation, col: &str) -> bool {
    rel.foreign_keys
        .iter()
        .any(|fk| fk.columns.iter().any(|c| c == col))
}

/// The target is `auth.users(id)`, or a table whose primary key is itself a reference to it
/// (a profile keyed by the user id).
fn references_user(target: &TableRef, cols: &[String], catalog: &Catalog) -> bool {
    if is_auth_users(target) {
        return cols.len() == 1 && cols[0] == "id";
    }
    let Some(parent) = catalog.get(target) else {
        return false;
    };
    parent.primary_key == cols
        && parent
            .foreign_keys
            .iter()
            .any(|fk| fk.columns == parent.primary_key && is_auth_users(&fk.target))
}
