//! One parent per row where a unique key is made of references: a one-to-one link (a
//! tenant's unique billing customer) or a pair key (`primary key (assistant_id, file_id)`)
//! cannot give two rows the same parent. Such a row gets a parent no other row holds: an
//! unused one of its place, else a new one made for it.

use std::collections::{BTreeMap, HashSet};

use postgres::Client;

use super::{reference, PlacedRow, RowSpec, Synthesizer};
use crate::matrix::quote_ident;
use crate::probe::catalog::Relation;
use crate::probe::ownership::TenantLink;

/// How deep parents made for a row may themselves need parents of their own.
const MAX_NESTING: usize = 2;

impl<'a> Synthesizer<'a> {
    /// The columns a row's place fixes: its owner columns (or its owning parent's key) and its
    /// tenant key, when the row is placed by them, and the values given explicitly.
    pub(super) fn placement_columns(&self, rel: &Relation, spec: &RowSpec) -> HashSet<String> {
        let model = self.model_of(&rel.table);
        let mut out: HashSet<String> = spec.fixed.keys().cloned().collect();
        let placed_by_owner = spec.owner.is_some() || !spec.parties.is_empty();
        if placed_by_owner || spec.parent.is_some() {
            out.extend(model.owner_columns(rel).into_iter().cloned());
        }
        if let (Some(k), Some(_)) = (model.tenant_fk(), spec.tenant) {
            out.extend(rel.foreign_keys[k].columns.iter().cloned());
        }
        out
    }

    /// A row of foreign key `k`'s target for a new row of `rel` whose unique `key` met another
    /// row: one that no row of `rel` holds together with the rest of `values`' key (of the
    /// row's place first: its owner's, its tenant's, or a public one), else a new one made for
    /// it.
    pub(super) fn unused_parent(
        &mut self,
        client: &mut Client,
        rel: &Relation,
        k: usize,
        spec: &RowSpec,
        values: &BTreeMap<String, String>,
        key: &[String],
    ) -> Option<PlacedRow> {
        let fk = &rel.foreign_keys[k];
        let state = self.states.get(&fk.target)?;
        let of_place = |r: &&PlacedRow| {
            let in_tenant = spec.tenant.is_none()
                || r.facts.tenant.is_none()
                || r.facts.tenant.as_deref() == spec.tenant;
            let owned = spec.owner.is_some_and(|o| r.is_owned_by(&o.name));
            in_tenant && (owned || r.facts.owners.is_empty())
        };
        // its place's rows first, then anyone's (as for any reference that is not its owner's)
        let (mut candidates, others): (Vec<&PlacedRow>, Vec<&PlacedRow>) =
            state.rows.iter().partition(of_place);
        candidates.extend(others);
        let candidates: Vec<PlacedRow> = candidates.into_iter().cloned().collect();
        for candidate in candidates {
            let mut with = values.clone();
            with.extend(reference(rel, fk, &candidate));
            if with == *values {
                continue;
            }
            if !self.key_taken(client, rel, key, &with) {
                return Some(candidate);
            }
        }
        self.new_parent(client, rel, k, spec)
    }

    /// A row of `rel` already holds `values`' `key` (unknown values count as free).
    fn key_taken(
        &self,
        client: &mut Client,
        rel: &Relation,
        key: &[String],
        values: &BTreeMap<String, String>,
    ) -> bool {
        let Some(conditions) = key
            .iter()
            .map(|c| Some(format!("t.{} = {}", quote_ident(c), values.get(c)?)))
            .collect::<Option<Vec<String>>>()
        else {
            return false;
        };
        let sql = format!(
            "select exists (select 1 from {} t where {})",
            rel.table.qualified(),
            conditions.join(" and ")
        );
        client
            .query_one(&sql, &[])
            .map(|r| r.get::<_, bool>(0))
            .unwrap_or(false)
    }

    /// A new row of foreign key `k`'s target, in the place of the row that needs it (same
    /// owner, same tenant), added to the target's rows. Never a tenant or a membership: those
    /// rows are the tenant model.
    fn new_parent(
        &mut self,
        client: &mut Client,
        rel: &Relation,
        k: usize,
        spec: &RowSpec,
    ) -> Option<PlacedRow> {
        let target = &rel.foreign_keys[k].target;
        if self.nesting >= MAX_NESTING
            || self
                .model
                .tenancy
                .as_ref()
                .is_some_and(|t| &t.table == target || &t.membership.table == target)
        {
            return None;
        }
        let parent_rel = self.catalog.get(target)?;
        if !parent_rel.kind.holds_rows() {
            return None;
        }
        let model = self.model_of(target).clone();
        if matches!(model.tenant, Some(TenantLink::Tenant)) {
            return None;
        }
        let parent_spec = RowSpec {
            owner: spec.owner.filter(|_| model.is_owned()),
            tenant: spec.tenant.filter(|_| model.is_tenant_scoped()),
            ..RowSpec::default()
        };
        self.nesting += 1;
        let row = self.insert(client, parent_rel, &parent_spec);
        self.nesting -= 1;
        let row = row.ok()?;
        let facts = self.facts_of(parent_rel, &model, &row.json, "");
        let row = PlacedRow {
            label: self.label_for(&model, &facts),
            facts,
            ..row
        };
        self.states.get_mut(target)?.rows.push(row.clone());
        Some(row)
    }
}
