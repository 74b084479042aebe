//! A row's user owner: the column holding the owner's user id, found from foreign keys to
//! `auth.users` (or to a profile keyed by the user id) and from the usual column names.

use crate::lint::policy_columns::mentions_column;
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

/// Author columns: who wrote a row (`sender_id`, `created_by`), as opposed to whom it is
/// about (an assignee, a recipient, a blocked user).
const AUTHOR_WORDS: [&str; 14] = [
    "sender",
    "author",
    "created_by",
    "creator",
    "posted_by",
    "submitted_by",
    "reviewer",
    "written_by",
    "added_by",
    "uploaded_by",
    "reporter",
    "requested_by",
    "actor",
    "from_user",
];

pub fn is_author(column: &str) -> bool {
    let name = column.to_ascii_lowercase();
    AUTHOR_WORDS.iter().any(|w| name.contains(w))
}

pub fn is_auth_users(t: &TableRef) -> bool {
    t.schema == "auth" && t.name == "users"
}

/// Storage's table `name` (`objects`, `buckets`).
pub fn is_storage(t: &TableRef, name: &str) -> bool {
    t.schema == "storage" && t.name == name
}

/// The column holding the owner's user id, when the table has one.
pub fn owner_column(rel: &Relation, catalog: &Catalog) -> Option<String> {
    if is_auth_users(&rel.table) {
        return Some("id".to_string());
    }
    if is_storage(&rel.table, "buckets") {
        // a bucket is the app's configuration, whoever created it
        return None;
    }
    if is_profile(rel, catalog) {
        return Some(rel.primary_key[0].clone());
    }
    if let Some(c) = main_user_column(rel, catalog) {
        return Some(c.to_string());
    }
    let uuid_cols: Vec<&str> = rel
        .columns
        .iter()
        .filter(|c| c.base_type == "uuid" && !is_fk_column(rel, &c.name))
        .map(|c| c.name.as_str())
        .collect();
    by_name(&uuid_cols).map(str::to_string)
}

/// Of the columns referencing a user, the one named like an owner (`user_id` before
/// `coach_user_id`), else the first.
pub fn main_user_column<'r>(rel: &'r Relation, catalog: &Catalog) -> Option<&'r str> {
    let user_fks = user_columns(rel, catalog);
    by_name(&user_fks).or(user_fks.first().copied())
}

fn by_name<'c>(candidates: &[&'c str]) -> Option<&'c str> {
    OWNER_NAMES
        .iter()
        .find_map(|n| candidates.iter().find(|c| c.eq_ignore_ascii_case(n)))
        .copied()
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

/// The parties of a row with several users (the host and the guest of a booking): the user
/// columns a CHECK sets apart from each other (`host_id <> guest_id`), else those the table's
/// policies name, when there are two or more. The main owner column comes first.
pub fn party_columns(rel: &Relation, catalog: &Catalog) -> Vec<String> {
    let users = user_columns(rel, catalog);
    if users.len() < 2 || is_profile(rel, catalog) {
        return Vec::new();
    }
    let apart: Vec<&str> = rel
        .checks
        .iter()
        .map(|c| {
            users
                .iter()
                .copied()
                .filter(|u| c.columns.iter().any(|col| col == u))
                .collect::<Vec<_>>()
        })
        .find(|cols| cols.len() >= 2)
        .unwrap_or_default();
    let mut parties: Vec<&str> = if apart.is_empty() {
        users
            .iter()
            .copied()
            .filter(|u| mentions_column(&rel.policy_text, u))
            .collect()
    } else {
        apart
    };
    if parties.len() < 2 {
        return Vec::new();
    }
    parties.dedup();
    if let Some(main) = by_name(&parties) {
        parties.retain(|p| *p != main);
        parties.insert(0, main);
    }
    parties.into_iter().map(str::to_string).collect()
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
