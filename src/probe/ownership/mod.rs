//! Who a relation's rows belong to: users (one owner column, or several parties), the owners
//! of a parent row, and a tenant. Inferred from the catalog and overridden by the specs; rows
//! are synthesized, probes aimed and cells judged from this one model.

pub mod parties;
pub mod tenant;
pub mod user;

use super::catalog::{Catalog, Relation};
use crate::lint::policy_columns::mentions_column;
use crate::matrix::TableRef;
use crate::spec::{Identity, OwnerSpec, Specs, TenantSpec};
pub use tenant::{Member, Membership, Tenancy, Tenant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Columns holding user ids: the owner's, or each party's (`host_id`, `guest_id`).
    Users(Vec<String>),
    /// The owners of the parent row that foreign key `fk` (an index into
    /// `Relation::foreign_keys`) references.
    Parent { fk: usize, parent: TableRef },
    /// Nobody's rows (reference data).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantLink {
    /// The tenant table itself: each row is a tenant.
    Tenant,
    /// Foreign key `fk` references the tenant table.
    Direct { fk: usize },
    /// The tenant of the parent row that foreign key `fk` references.
    Parent { fk: usize, parent: TableRef },
    /// A profile: the row is its owner's, and lives in its owner's (first) tenant. No foreign
    /// key carries it, so nothing moves it and no row is inserted into another tenant.
    Owners,
}

/// How one relation's rows belong to users and tenants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowModel {
    pub owner: Owner,
    pub tenant: Option<TenantLink>,
}

impl RowModel {
    pub const NOBODY: RowModel = RowModel {
        owner: Owner::None,
        tenant: None,
    };

    pub fn is_owned(&self) -> bool {
        !matches!(self.owner, Owner::None)
    }

    pub fn is_tenant_scoped(&self) -> bool {
        self.tenant.is_some()
    }

    /// The owner column, when the row has exactly one.
    pub fn owner_column(&self) -> Option<&str> {
        match &self.owner {
            Owner::Users(cols) if cols.len() == 1 => Some(&cols[0]),
            _ => None,
        }
    }

    /// The columns holding the row's owners, or the foreign key to the owning parent.
    pub fn owner_columns<'r>(&'r self, rel: &'r Relation) -> Vec<&'r String> {
        match &self.owner {
            Owner::Users(cols) => cols.iter().collect(),
            Owner::Parent { fk, .. } => rel.foreign_keys[*fk].columns.iter().collect(),
            Owner::None => Vec::new(),
        }
    }

    /// The foreign key that carries the row's tenant (to the tenant table or a parent).
    pub fn tenant_fk(&self) -> Option<usize> {
        match self.tenant {
            Some(TenantLink::Direct { fk }) | Some(TenantLink::Parent { fk, .. }) => Some(fk),
            _ => None,
        }
    }
}

/// The row model of every relation of a catalog, and the tenant model when the project has
/// one.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// One per catalog relation, in catalog order.
    pub relations: Vec<RowModel>,
    pub tenancy: Option<Tenancy>,
}

impl Model {
    pub fn of<'m>(&'m self, catalog: &Catalog, table: &TableRef) -> &'m RowModel {
        catalog
            .relations
            .iter()
            .position(|r| &r.table == table)
            .and_then(|i| self.relations.get(i))
            .unwrap_or(&RowModel::NOBODY)
    }

    /// The owner columns naming each party of `table`'s rows (a parent's, when inherited).
    pub fn parties(&self, catalog: &Catalog, table: &TableRef) -> Vec<String> {
        let mut seen = vec![table.clone()];
        let mut model = self.of(catalog, table);
        loop {
            match &model.owner {
                Owner::Users(cols) => return cols.clone(),
                Owner::Parent { parent, .. } if !seen.contains(parent) => {
                    seen.push(parent.clone());
                    model = self.of(catalog, parent);
                }
                _ => return Vec::new(),
            }
        }
    }
}

/// Every relation's row model: the specs' `owner` and `tenant` lines first, then inference.
/// The tenant model comes from `[tenancy]` or [`tenant::infer`] (`usage` is the text of the
/// policies and the functions they call, read only when inference needs it).
pub fn infer(
    catalog: &Catalog,
    specs: &Specs,
    identities: &[Identity],
    usage: &mut dyn FnMut() -> String,
) -> Model {
    let owners = infer_owners(catalog, &|t| specs.owner_spec(t).cloned());
    let tenancy = tenant::model(catalog, specs, identities, &owners, usage);
    let tenants = match &tenancy {
        Some(t) => tenant::links(catalog, t, &owners, &|table| {
            specs.tenant_spec(table).cloned()
        }),
        None => vec![None; catalog.relations.len()],
    };
    Model {
        relations: owners
            .into_iter()
            .zip(tenants)
            .map(|(owner, tenant)| RowModel { owner, tenant })
            .collect(),
        tenancy,
    }
}

/// The owner of every relation, in catalog order. `declared` gives spec overrides.
pub fn infer_owners(
    catalog: &Catalog,
    declared: &dyn Fn(&TableRef) -> Option<OwnerSpec>,
) -> Vec<Owner> {
    let mut result: Vec<Option<Owner>> = vec![None; catalog.relations.len()];
    for (i, rel) in catalog.relations.iter().enumerate() {
        result[i] = match declared(&rel.table) {
            Some(OwnerSpec::Column(col)) if rel.column(&col).is_some() => {
                Some(Owner::Users(vec![col]))
            }
            Some(OwnerSpec::Parties(cols)) if cols.iter().all(|c| rel.column(c).is_some()) => {
                Some(Owner::Users(cols))
            }
            Some(OwnerSpec::Via(col)) => {
                via(rel, &col).map(|(fk, parent)| Owner::Parent { fk, parent })
            }
            Some(OwnerSpec::Nobody) => Some(Owner::None),
            _ => None,
        }
        .or_else(|| {
            let parties = user::party_columns(rel, catalog);
            (!parties.is_empty()).then_some(Owner::Users(parties))
        })
        .or_else(|| user::owner_column(rel, catalog).map(|c| Owner::Users(vec![c])));
    }
    // A row whose only user is its author (a message's sender), in a parent its policies read
    // (the booking it belongs to), is the parent's: its author writes into someone's row.
    let authored: Vec<Option<usize>> = catalog
        .relations
        .iter()
        .enumerate()
        .map(|(i, rel)| match &result[i] {
            Some(Owner::Users(cols))
                if declared(&rel.table).is_none()
                    && cols.len() == 1
                    && user::is_author(&cols[0]) =>
            {
                read_parent(catalog, rel, &result)
            }
            _ => None,
        })
        .collect();
    for (i, k) in authored.into_iter().enumerate() {
        if let Some(k) = k {
            let rel = &catalog.relations[i];
            result[i] = Some(Owner::Parent {
                fk: k,
                parent: rel.foreign_keys[k].target.clone(),
            });
        }
    }
    // Ownership through parents, to a fixed point (chains of any depth).
    loop {
        let mut changed = false;
        for (i, rel) in catalog.relations.iter().enumerate() {
            if result[i].is_some() || user::is_auth_users(&rel.table) {
                continue;
            }
            let owned = |pi: usize| matches!(result[pi], Some(ref o) if *o != Owner::None);
            if let Some(k) = best_parent_fk(catalog, i, &owned) {
                result[i] = Some(Owner::Parent {
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
        .map(|o| o.unwrap_or(Owner::None))
        .collect()
}

/// The NOT NULL foreign key to an owned table (not a user's) that `rel`'s policies read.
fn read_parent(catalog: &Catalog, rel: &Relation, owners: &[Option<Owner>]) -> Option<usize> {
    rel.foreign_keys.iter().position(|fk| {
        let Some(pi) = catalog.relations.iter().position(|r| r.table == fk.target) else {
            return false;
        };
        fk.target != rel.table
            && !user::references_user(&fk.target, &fk.target_columns, catalog)
            && matches!(
                owners[pi],
                Some(Owner::Users(_)) | Some(Owner::Parent { .. })
            )
            && fk
                .columns
                .iter()
                .all(|c| rel.column(c).is_some_and(|c| c.not_null))
            && mentions_column(&rel.policy_text, &fk.target.name)
    })
}

/// The foreign key holding `column`, and the table it references.
pub fn via(rel: &Relation, column: &str) -> Option<(usize, TableRef)> {
    rel.foreign_keys
        .iter()
        .position(|fk| fk.columns.iter().any(|c| c == column))
        .map(|fk| (fk, rel.foreign_keys[fk].target.clone()))
}

/// Of relation `i`'s foreign keys to a parent that `qualifies`, the one to follow: a NOT NULL
/// key before a nullable one, and never a nullable key the parent needs this table's row
/// through first (a cycle).
pub(crate) fn best_parent_fk(
    catalog: &Catalog,
    i: usize,
    qualifies: &dyn Fn(usize) -> bool,
) -> Option<usize> {
    let rel = &catalog.relations[i];
    let mut best: Option<(bool, usize)> = None;
    for (k, fk) in rel.foreign_keys.iter().enumerate() {
        let Some(pi) = catalog.relations.iter().position(|r| r.table == fk.target) else {
            continue;
        };
        if pi == i || !qualifies(pi) {
            continue;
        }
        let required = fk
            .columns
            .iter()
            .all(|c| rel.column(c).is_some_and(|c| c.not_null));
        if !required && requires_back(&catalog.relations[pi], &rel.table) {
            continue;
        }
        if best.is_none_or(|(req, _)| required && !req) {
            best = Some((required, k));
        }
    }
    best.map(|(_, k)| k)
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

/// The tenant link a spec's `tenant = ...` line names, when its column exists.
pub(crate) fn declared_link(
    rel: &Relation,
    spec: &TenantSpec,
    tenant_table: &TableRef,
) -> Option<Option<TenantLink>> {
    match spec {
        TenantSpec::Nobody => Some(None),
        TenantSpec::Column(col) | TenantSpec::Via(col) => {
            let (fk, parent) = via(rel, col)?;
            Some(Some(if &parent == tenant_table {
                TenantLink::Direct { fk }
            } else {
                TenantLink::Parent { fk, parent }
            }))
        }
    }
}
