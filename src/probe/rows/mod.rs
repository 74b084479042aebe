//! Rows for every table, placed by the row model: owned by each identity that owns rows, by
//! the parties of a pair, in the tenants the identities belong to, or nobody's ("public");
//! synthesized column by column (honouring NOT NULL, CHECK, enums, unique, defaults,
//! identity/generated columns and foreign keys), or pinned in `fixtures/`. Inserted by the
//! superuser, so RLS does not stand in the way; triggers run as in production.

mod alternatives;
mod fill;
mod insert;
mod order;
mod parents;
mod place;
mod signup;
mod storage;
mod untriggered;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value as Json;

use super::catalog::{Catalog, ForeignKey, Relation};
use super::ownership::{Model, RowModel};
use super::values::{json_literal, literal};
use crate::matrix::{quote_ident, RowFacts, TableRef};
use crate::spec::Identity;
use alternatives::Alternative;

pub const PUBLIC: &str = "public";

#[derive(Debug, Clone)]
pub struct PlacedRow {
    pub label: String,
    /// Who the row belongs to: its owners and its tenant.
    pub facts: RowFacts,
    /// The row's key as `key_expr` prints it.
    pub key: String,
    pub json: serde_json::Map<String, Json>,
}

impl PlacedRow {
    /// The first owner's name: the only one, or the first party.
    pub fn owner(&self) -> Option<&str> {
        self.facts.owner()
    }

    pub fn is_owned_by(&self, identity: &str) -> bool {
        self.facts.is_owner(identity)
    }
}

#[derive(Debug, Clone)]
pub struct TableState {
    pub model: RowModel,
    pub rows: Vec<PlacedRow>,
    /// Why rows could not be synthesized; the table's cells are then inconclusive.
    pub error: Option<String>,
    /// The value choices that got a row past the table's CHECKs, reused for probe rows.
    pub repairs: Repairs,
    /// A row the table held before synthesis (the seed's, a migration's, a signup
    /// trigger's): its values passed the app's own rules, so new rows start from them.
    pub template: Option<serde_json::Map<String, Json>>,
}

/// Which columns needed another value (and the CHECK literals offered) before an insert
/// succeeded.
#[derive(Debug, Clone, Default)]
pub struct Repairs {
    attempts: HashMap<String, usize>,
    hints: HashMap<String, Vec<String>>,
    forced: HashSet<String>,
    /// Foreign-key columns that must point at another identity's row than the owner's
    /// (`check (blocker_id <> blocked_id)`).
    other_party: HashSet<String>,
    /// Nullable columns left NULL for a CHECK like `(a is null) <> (b is null)`.
    nulled: HashSet<String>,
    /// Per CHECK, the `OR` branch rows are built to satisfy.
    chosen: BTreeMap<String, Alternative>,
}

/// SQL printing a row's identity: its primary key, else its physical location.
pub fn key_expr(rel: &Relation) -> String {
    if rel.primary_key.is_empty() {
        "(t.tableoid::oid::int8::text || ':' || t.ctid::text)".to_string()
    } else {
        let cols: Vec<String> = rel
            .primary_key
            .iter()
            .map(|c| format!("t.{}", quote_ident(c)))
            .collect();
        format!("row({})::text", cols.join(", "))
    }
}

/// A filter matching exactly `row`. On a primary key of plain types it compares the typed
/// columns (`t.id = '...'::uuid`): an index scan, and a leakproof comparison Postgres may run
/// before the RLS policies, which then see one row instead of the whole table. Otherwise it
/// compares `key_expr`'s text.
pub fn key_predicate(rel: &Relation, row: &PlacedRow) -> String {
    const PLAIN: [&str; 6] = ["uuid", "int2", "int4", "int8", "text", "varchar"];
    let typed: Option<Vec<String>> = rel
        .primary_key
        .iter()
        .map(|name| {
            let column = rel.columns.iter().find(|c| &c.name == name)?;
            let value = row.json.get(name).filter(|v| !v.is_null())?;
            PLAIN.contains(&column.base_type.as_str()).then(|| {
                format!(
                    "t.{} = {}::{}",
                    quote_ident(name),
                    json_literal(value),
                    column.sql_type
                )
            })
        })
        .collect();
    match typed {
        Some(parts) if !parts.is_empty() => parts.join(" and "),
        _ => format!("{} = {}", key_expr(rel), literal(&row.key)),
    }
}

pub struct Synthesizer<'a> {
    pub catalog: &'a Catalog,
    pub model: &'a Model,
    /// The identities probes run as.
    pub identities: &'a [Identity],
    /// Synthesized tenant members: they own rows, no probe runs as them.
    pub fillers: &'a [Identity],
    pub states: HashMap<TableRef, TableState>,
    seq: usize,
    learned: HashMap<TableRef, Repairs>,
    /// Parent rows being made for a row that needs one of its own, nested.
    nesting: usize,
    /// Per table, a row it held before synthesis (see [`TableState::template`]).
    templates: HashMap<TableRef, serde_json::Map<String, Json>>,
    /// User metadata a signup trigger needs, synthesized for every user.
    pub signup_metadata: serde_json::Map<String, Json>,
    /// Tables with rows placed with triggers off, and what a trigger said when it refused one.
    pub untriggered: BTreeMap<TableRef, String>,
}

/// Why a row was not inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotInserted {
    /// Its unique key holds only what its place fixes (its owner, its tenant, its parent row),
    /// and another row already holds that place: the table keeps one row per place.
    Taken(String),
    Failed(String),
}

impl std::fmt::Display for NotInserted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotInserted::Taken(m) | NotInserted::Failed(m) => f.write_str(m),
        }
    }
}

impl From<String> for NotInserted {
    fn from(message: String) -> NotInserted {
        NotInserted::Failed(message)
    }
}

/// What a new row should look like.
#[derive(Default, Clone)]
pub struct RowSpec<'s> {
    /// The row's owner, or its first party.
    pub owner: Option<&'s Identity>,
    /// Every party in owner-column order, for a row with several; empty otherwise.
    pub parties: Vec<&'s Identity>,
    /// The tenant the row lives in.
    pub tenant: Option<&'s str>,
    /// The label of the parent row an owning foreign key must reference.
    pub parent: Option<&'s str>,
    /// Who sends the row (a probe's identity): the row's other user columns (a sender, an
    /// author) name it, as a client would. Placed rows have none: those columns name another
    /// user than the owner, so a policy comparing the wrong column shows.
    pub actor: Option<&'s Identity>,
    /// Explicit values (fixtures, probes, a member's role), as SQL expressions.
    pub fixed: BTreeMap<String, String>,
}

impl<'s> RowSpec<'s> {
    pub fn owned_by(owner: Option<&'s Identity>) -> RowSpec<'s> {
        RowSpec {
            owner,
            ..RowSpec::default()
        }
    }
}

impl<'a> Synthesizer<'a> {
    pub fn new(
        catalog: &'a Catalog,
        model: &'a Model,
        identities: &'a [Identity],
        fillers: &'a [Identity],
    ) -> Self {
        Synthesizer {
            catalog,
            model,
            identities,
            fillers,
            states: HashMap::new(),
            seq: 0,
            learned: HashMap::new(),
            nesting: 0,
            templates: HashMap::new(),
            signup_metadata: serde_json::Map::new(),
            untriggered: BTreeMap::new(),
        }
    }

    pub fn model_of(&self, table: &TableRef) -> &'a RowModel {
        self.model.of(self.catalog, table)
    }

    /// The identities that own rows (never the synthesized members).
    pub fn owners(&self) -> impl Iterator<Item = &'a Identity> {
        self.identities.iter().filter(|i| i.owns_rows())
    }

    /// An identity or a synthesized member, by name.
    pub fn person(&self, name: &str) -> Option<&'a Identity> {
        self.identities
            .iter()
            .chain(self.fillers)
            .find(|i| i.name == name)
    }

    /// The members of `tenant`, identities and synthesized members.
    pub fn members(&self, tenant: &str) -> Vec<&'a Identity> {
        let Some(tenancy) = &self.model.tenancy else {
            return Vec::new();
        };
        tenancy
            .tenants
            .iter()
            .filter(|t| t.name == tenant)
            .flat_map(|t| &t.members)
            .filter_map(|m| self.person(&m.name))
            .collect()
    }

    /// The tenants `identity` belongs to, in declaration order.
    pub fn tenants_of(&self, identity: &str) -> Vec<&'a str> {
        let Some(tenancy) = &self.model.tenancy else {
            return Vec::new();
        };
        tenancy
            .tenants
            .iter()
            .filter(|t| t.members.iter().any(|m| m.name == identity))
            .map(|t| t.name.as_str())
            .collect()
    }

    /// Every tenant's name.
    pub fn tenant_names(&self) -> Vec<&'a str> {
        self.model
            .tenancy
            .iter()
            .flat_map(|t| &t.tenants)
            .map(|t| t.name.as_str())
            .collect()
    }
}

/// Column names of a unique violation's detail: `Key (a, b)=(1, 2) already exists.`
fn unique_columns(detail: &str) -> Vec<String> {
    detail
        .strip_prefix("Key (")
        .and_then(|rest| rest.split(")=(").next())
        .map(|cols| {
            cols.split(',')
                .map(|c| c.trim().trim_matches('"').to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn is_fk_column(rel: &Relation, col: &str) -> bool {
    rel.foreign_keys
        .iter()
        .any(|fk| fk.columns.iter().any(|c| c == col))
}

fn placed(label: String, facts: RowFacts, key: String, json: String) -> PlacedRow {
    let json = match serde_json::from_str(&json) {
        Ok(Json::Object(m)) => m,
        _ => Default::default(),
    };
    PlacedRow {
        label,
        facts,
        key,
        json,
    }
}

pub fn insert_sql(rel: &Relation, values: &BTreeMap<String, String>, returning: &str) -> String {
    let table = rel.table.qualified();
    let ret = if returning.is_empty() {
        String::new()
    } else {
        format!(" returning {returning}")
    };
    if values.is_empty() {
        return format!("insert into {table} as t default values{ret}");
    }
    let cols: Vec<String> = values.keys().map(|c| quote_ident(c)).collect();
    let vals: Vec<&str> = values.values().map(String::as_str).collect();
    format!(
        "insert into {table} as t ({}) values ({}){ret}",
        cols.join(", "),
        vals.join(", ")
    )
}

/// `rel`'s columns of foreign key `fk` set to point at `parent`, as `column -> literal::type`.
pub fn reference(rel: &Relation, fk: &ForeignKey, parent: &PlacedRow) -> Vec<(String, String)> {
    fk.columns
        .iter()
        .zip(&fk.target_columns)
        .map(|(c, tc)| {
            let ty = rel.column(c).map_or("text", |c| c.sql_type.as_str());
            let v = parent
                .json
                .get(tc)
                .map_or_else(|| "null".to_string(), json_literal);
            (c.clone(), format!("{v}::{ty}"))
        })
        .collect()
}
