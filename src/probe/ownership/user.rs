//! A row's user owner: the column holding the owner's user id, found from foreign keys to
//! `auth.users` (or to a profile keyed by the user id) and from the usual column names.

use crate::matrix::TableRef;
use crate::probe::catalog::{Catalog, Relation};

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

pub fn is_auth_users(t: &TableRef) -> bool {
    t.schema == "auth" && t.name == "users"
}

/// The column holding the owner's user id, when the table has one.
pub fn owner_column(rel: &Relation, catalog: &Catalog) -> Option<String> {
    if is_auth_users(&rel.table) {
        return Some("id".to_string());
    }
    let user_fks = user_columns(rel, catalog);
    let by_name = |cands: &[&str]| -> Option<String> {
        OWNER_NAMES
            .iter()
            .find_map(|n| cands.iter().find(|c| c.eq_ignore_ascii_case(n)))
            .map(|c| c.to_string())
    };
    if is_profile(rel, catalog) {
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

/// Columns of `rel` that reference a user: one-column foreign keys to `auth.users(id)` or to
/// a profile keyed by the user id.
pub fn user_columns<'r>(rel: &'r Relation, catalog: &Catalog) -> Vec<&'r str> {
    rel.foreign_keys
        .iter()
        .filter(|fk| {
            fk.columns.len() == 1 && references_user(&fk.target, &fk.target_columns, catalog)
        })
        .map(|fk| fk.columns[0].as_str())
        .collect()
}

/// A profile: a table whose one-column primary key references the user.
pub fn is_profile(rel: &Relation, catalog: &Catalog) -> bool {
    rel.primary_key.len() == 1 && user_columns(rel, catalog).contains(&rel.primary_key[0].as_str())
}

fn is_fk_column(rel: &Relation, col: &str) -> bool {
    rel.foreign_keys
        .iter()
        .any(|fk| fk.columns.iter().any(|c| c == col))
}

/// The target is `auth.users(id)`, or a table whose primary key is itself a reference to it
/// (a profile keyed by the user id).
pub fn references_user(target: &TableRef, cols: &[String], catalog: &Catalog) -> bool {
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
