//! What the catalog says that the presumption needs beyond the placed rows: which relations
//! RLS does not filter, which views are built from rows of users or tenants, which names say
//! "credentials", and what each SECURITY DEFINER function does about its caller. Read from the
//! catalog model the lint builds (and its provenance, for file:line).

use std::collections::{BTreeMap, BTreeSet};

use crate::lint::body::dynamic_sql;
use crate::lint::model::{Model, PolicyCommand, RelKind, Relation, Site};
use crate::lint::rules::gated_by_caller;
use crate::lint::{ObjectKey, Provenance};
use crate::matrix::{FunctionRef, TableRef, TableRows};
use crate::probe::functions::FunctionAccess;
use crate::sql::names::QualifiedName;

/// Catalog facts per relation and per function.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub relations: BTreeMap<TableRef, RelationFacts>,
    pub functions: BTreeMap<FunctionRef, FunctionFacts>,
    /// Where each policy was written, by relation and name.
    pub policies: BTreeMap<(TableRef, String), Spot>,
}

/// Why RLS does not filter what a caller reads from a relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PastRls {
    /// A table with row level security off: the grant alone decides.
    RlsDisabled,
    /// A view without `security_invoker`: it reads its tables with its owner's rights.
    ViewOwner,
    /// A materialized view: no RLS at all.
    Materialized,
    /// A foreign table: no RLS at all.
    Foreign,
}

impl PastRls {
    pub fn text(&self) -> &'static str {
        match self {
            PastRls::RlsDisabled => "row level security is off on the table",
            PastRls::ViewOwner => "the view runs as its owner, past RLS (no security_invoker)",
            PastRls::Materialized => "a materialized view has no RLS",
            PastRls::Foreign => "a foreign table has no RLS",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelationFacts {
    /// RLS does not filter the rows a caller reads (and where that was set up).
    pub past_rls: Option<(PastRls, Option<Spot>)>,
    /// Views and materialized views: the relations holding rows of users or tenants they are
    /// built from (directly or through other views).
    pub built_from: Vec<TableRef>,
    /// One of `built_from` is tenant-scoped.
    pub built_from_tenants: bool,
    /// The table's name, or a column's, says it holds credentials (`api_secrets`,
    /// `password`): its rows are not public reference data even when nobody owns them.
    pub confidential: Option<String>,
    /// The roles a permissive SELECT policy written `to <role> ... using (true)` publishes
    /// every row to, when one of them is anon (or `to public` is written out): rows published
    /// to the world on purpose, as public profiles and listings are.
    pub published: BTreeSet<String>,
    /// The roles a permissive INSERT (or ALL) policy written `to <role>` lets insert, when one
    /// of them is anon (or `to public` is written out): anonymous submissions on purpose
    /// (feedback, contact forms), for rows that belong to nobody.
    pub open_to_submissions: BTreeSet<String>,
}

impl RelationFacts {
    /// Every row is published, on purpose, to `role`.
    pub fn published_to(&self, role: &str) -> bool {
        self.published.contains(role) || self.published.contains("public")
    }

    /// A policy names `role` as one that inserts rows, on purpose.
    pub fn takes_submissions_from(&self, role: &str) -> bool {
        self.open_to_submissions.contains(role) || self.open_to_submissions.contains("public")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionFacts {
    pub security_definer: bool,
    /// The body asks who is calling (`auth.uid()`, the JWT, or a helper that does).
    pub checks_caller: bool,
    /// The body EXECUTEs a string.
    pub dynamic_sql: bool,
    /// PUBLIC holds EXECUTE (every new function's default).
    pub public_execute: bool,
    /// Where the function was created.
    pub created: Option<Spot>,
}

/// Words that, in a table's name, say its rows hold credentials.
const CONFIDENTIAL_TABLE_WORDS: [&str; 5] =
    ["secret", "credential", "password", "api_key", "apikey"];

/// Endings that, in a column's name, say it holds a credential (`sip_password`,
/// `encrypted_api_key`, but not `api_key_pattern`).
const CONFIDENTIAL_COLUMN_ENDINGS: [&str; 13] = [
    "password",
    "passwd",
    "secret",
    "credentials",
    "private_key",
    "secret_key",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "service_key",
    "encryption_key",
    "password_hash",
];

fn confidential_table(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    CONFIDENTIAL_TABLE_WORDS
        .into_iter()
        .find(|w| name.contains(w))
}

fn confidential_column(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CONFIDENTIAL_COLUMN_ENDINGS
        .iter()
        .any(|w| name.ends_with(w))
}

fn qualified(table: &TableRef) -> QualifiedName {
    QualifiedName::new(table.schema.clone(), table.name.clone())
}

fn table_ref(name: &QualifiedName) -> TableRef {
    TableRef::new(name.schema.clone(), name.name.clone())
}

impl Facts {
    /// Facts for the probed relations (`rows`) and the callable functions, from the catalog
    /// `model` the lint read and its `provenance`.
    pub fn read(
        model: &Model,
        provenance: &Provenance,
        rows: &[TableRows],
        functions: &[FunctionAccess],
    ) -> Facts {
        let spot = |site: Option<Site>| {
            site.and_then(|s| provenance.sources.location(s))
                .map(|l| Spot::new(l.file, l.line))
        };
        let per_user = per_user_tables(model, rows);
        let mut facts = Facts::default();
        for table_rows in rows {
            let table = &table_rows.table;
            let Some(rel) = model.relations.get(&qualified(table)) else {
                continue;
            };
            let past_rls = match rel.kind {
                RelKind::Table | RelKind::PartitionedTable if !rel.rls_enabled => Some((
                    PastRls::RlsDisabled,
                    spot(rel.rls_disabled_at.or(rel.created)),
                )),
                RelKind::View if !rel.security_invoker => {
                    Some((PastRls::ViewOwner, spot(rel.created)))
                }
                RelKind::MaterializedView => Some((PastRls::Materialized, spot(rel.created))),
                RelKind::ForeignTable => Some((PastRls::Foreign, spot(rel.created))),
                _ => None,
            };
            let built_from = built_from(model, rel, &per_user);
            let built_from_tenants = built_from
                .iter()
                .any(|t| rows.iter().any(|r| &r.table == t && r.tenant_scoped));
            facts.relations.insert(
                table.clone(),
                RelationFacts {
                    past_rls,
                    built_from,
                    built_from_tenants,
                    confidential: confidential(rel),
                    published: published(model, &rel.name),
                    open_to_submissions: open_to_submissions(model, &rel.name),
                },
            );
        }
        for p in &model.policies {
            if let Some(at) = spot(p.site) {
                facts
                    .policies
                    .insert((table_ref(&p.table), p.name.clone()), at);
            }
        }
        let checks = model.caller_checks();
        for f in functions.iter().filter(|f| f.callable) {
            let Some(lf) = model.functions.iter().find(|g| {
                g.name.schema == f.function.schema
                    && g.name.name == f.function.name
                    && g.args == f.function.args
            }) else {
                continue;
            };
            facts.functions.insert(
                f.function.clone(),
                FunctionFacts {
                    security_definer: f.security_definer,
                    checks_caller: gated_by_caller(&lf.body, &checks.checkers),
                    dynamic_sql: dynamic_sql(&lf.language, &lf.body).is_some(),
                    public_execute: f.public_execute,
                    created: spot(
                        lf.site
                            .or_else(|| provenance.site(&ObjectKey::function(&lf.name))),
                    ),
                },
            );
        }
        facts
    }

    pub fn relation(&self, table: &TableRef) -> Option<&RelationFacts> {
        self.relations.get(table)
    }

    pub fn function(&self, function: &FunctionRef) -> Option<&FunctionFacts> {
        self.functions.get(function)
    }
}

/// Relations whose rows belong to users or tenants: owned or tenant-scoped in the row model,
/// or (for the tables the probes did not place rows in, such as a private schema's) with RLS on
/// and a policy that asks who is calling.
fn per_user_tables(model: &Model, rows: &[TableRows]) -> BTreeSet<QualifiedName> {
    let mut out: BTreeSet<QualifiedName> = rows
        .iter()
        .filter(|r| r.owned || r.tenant_scoped)
        .map(|r| qualified(&r.table))
        .collect();
    let checks = model.caller_checks();
    for p in &model.policies {
        let asks = p
            .expressions()
            .any(|(_, e)| gated_by_caller(e, &checks.checkers));
        if asks && model.relations.get(&p.table).is_some_and(|r| r.rls_enabled) {
            out.insert(p.table.clone());
        }
    }
    out
}

/// The per-user relations a view reads, through other views too.
fn built_from(model: &Model, rel: &Relation, per_user: &BTreeSet<QualifiedName>) -> Vec<TableRef> {
    if !matches!(rel.kind, RelKind::View | RelKind::MaterializedView) {
        return Vec::new();
    }
    let mut seen: BTreeSet<&QualifiedName> = BTreeSet::new();
    let mut todo: Vec<&QualifiedName> = rel.references.iter().collect();
    let mut out = Vec::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name) {
            continue;
        }
        if per_user.contains(name) {
            out.push(table_ref(name));
        }
        if let Some(inner) = model.relations.get(name) {
            if matches!(inner.kind, RelKind::View | RelKind::MaterializedView) {
                todo.extend(inner.references.iter());
            }
        }
    }
    out.sort();
    out
}

/// Why a name says the rows hold credentials: the table's (`api_secrets`) or a column's.
fn confidential(rel: &Relation) -> Option<String> {
    if let Some(word) = confidential_table(&rel.name.name) {
        return Some(format!("its name says it holds credentials (`{word}`)"));
    }
    rel.columns
        .iter()
        .flatten()
        .find(|c| confidential_column(c))
        .map(|c| format!("its column `{c}` holds credentials"))
}

/// The roles an explicit `using (true)` SELECT policy publishes every row to; empty unless
/// anon (or PUBLIC, written out) is among them.
fn published(model: &Model, table: &QualifiedName) -> BTreeSet<String> {
    let roles: BTreeSet<String> = model
        .policies_on(table)
        .filter(|p| {
            p.permissive
                && p.to_written
                && matches!(p.command, PolicyCommand::Select | PolicyCommand::All)
                && p.using.as_deref().is_some_and(|u| u.trim() == "true")
        })
        .flat_map(|p| p.roles.iter().cloned())
        .collect();
    with_anon(roles)
}

fn open_to_submissions(model: &Model, table: &QualifiedName) -> BTreeSet<String> {
    let roles: BTreeSet<String> = model
        .policies_on(table)
        .filter(|p| {
            p.permissive
                && p.to_written
                && matches!(p.command, PolicyCommand::Insert | PolicyCommand::All)
        })
        .flat_map(|p| p.roles.iter().cloned())
        .collect();
    with_anon(roles)
}

/// `roles` when anon is among them (or public, written out), else none.
fn with_anon(roles: BTreeSet<String>) -> BTreeSet<String> {
    if roles.contains("anon") || roles.contains("public") {
        roles
    } else {
        BTreeSet::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        assert_eq!(confidential_table("api_secrets"), Some("secret"));
        assert_eq!(confidential_table("user_credentials"), Some("credential"));
        assert_eq!(confidential_table("countries"), None);
        assert!(confidential_column("sip_password"));
        assert!(confidential_column("encrypted_API_KEY"));
        assert!(!confidential_column("api_key_pattern"));
        assert!(!confidential_column("token_count"));
    }
}

/// A place in a migration file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Spot {
    pub file: String,
    pub line: u32,
}

impl Spot {
    pub fn new(file: impl Into<String>, line: u32) -> Spot {
        Spot {
            file: file.into(),
            line,
        }
    }
}
