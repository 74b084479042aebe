//! Which rows each table gets, and their labels: one per owner, per pair of parties, per
//! tenant member or per tenant, or per owning parent row; rows a trigger or a seed already
//! made are adopted. A row's facts (owners, tenant) are read back from what was inserted.

use std::collections::BTreeMap;

use postgres::Client;
use serde_json::Value as Json;

use super::order::{paired_targets, topo_order};
use super::{
    key_expr, placed, NotInserted, PlacedRow, Repairs, RowSpec, Synthesizer, TableState, PUBLIC,
};
use crate::matrix::{quote_ident, RowFacts};
use crate::probe::catalog::{ForeignKey, Relation};
use crate::probe::ownership::{parties, user, Owner, RowModel, TenantLink};
use crate::probe::values::literal;
use crate::probe::ProbeError;
use crate::spec::{FixtureRow, Identity};

/// One row to synthesize.
pub(super) struct Slot<'a> {
    pub(super) label: String,
    pub(super) owner: Option<&'a Identity>,
    parties: Vec<&'a Identity>,
    tenant: Option<&'a str>,
    parent: Option<String>,
    pub(super) fixed: BTreeMap<String, String>,
    /// Extra coverage: the table's cells do not depend on it, so failing to make it is no
    /// error.
    pub(super) optional: bool,
}

impl<'a> Slot<'a> {
    pub(super) fn new(label: String) -> Slot<'a> {
        Slot {
            label,
            owner: None,
            parties: Vec::new(),
            tenant: None,
            parent: None,
            fixed: BTreeMap::new(),
            optional: false,
        }
    }
}

impl<'a> Synthesizer<'a> {
    /// Fills every table that holds rows, parents before children.
    pub fn synthesize_all(&mut self, client: &mut Client) -> Result<(), ProbeError> {
        let paired = paired_targets(self.catalog);
        for idx in topo_order(self.catalog, self.model) {
            let rel = &self.catalog.relations[idx];
            if !rel.kind.holds_rows() {
                continue;
            }
            let model = self.model.relations[idx].clone();
            let template = self.read_template(client, rel)?;
            if let Some(t) = &template {
                self.templates.insert(rel.table.clone(), t.clone());
            }
            let mut adopted = self.adopt(client, rel, &model)?;
            self.settle_in_tenants(client, rel, &model, &mut adopted)?;
            let mut state = TableState {
                model: model.clone(),
                rows: adopted,
                error: None,
                repairs: Repairs::default(),
                template,
            };
            if user::is_storage(&rel.table, "buckets") {
                for row in &mut state.rows {
                    row.label = Self::bucket_label(row).unwrap_or_else(|| row.label.clone());
                }
            }
            if rel.table.schema == "auth" && rel.table.name == "users" {
                self.states.insert(rel.table.clone(), state);
                continue;
            }
            // a catalog two keys of one row point at (`check (parent_id <> child_id)`) gets two
            let public_rows: usize = if paired.contains(&rel.table) { 2 } else { 1 };
            for slot in self.slots(rel, &model, public_rows, &state.rows) {
                let spec = RowSpec {
                    owner: slot.owner,
                    parties: slot.parties.clone(),
                    tenant: slot.tenant,
                    parent: slot.parent.as_deref(),
                    fixed: slot.fixed.clone(),
                    actor: None,
                };
                match self.insert(client, rel, &spec) {
                    Ok(row) => {
                        let facts = self.facts_of(rel, &model, &row.json, &slot.label);
                        state.rows.push(PlacedRow {
                            label: slot.label,
                            facts,
                            ..row
                        });
                    }
                    Err(NotInserted::Taken(_)) => {}
                    Err(_) if slot.optional => {}
                    Err(message) => {
                        state.error.get_or_insert(format!(
                            "could not synthesize a row labelled {}: {message}",
                            slot.label
                        ));
                    }
                }
            }
            if !state.rows.is_empty() && !rel.checks.is_empty() {
                let owner = state.rows[0].owner().map(str::to_string);
                self.learn_from_a_trial_row(client, rel, owner.as_deref());
            }
            if let Some(repairs) = self.learned.remove(&rel.table) {
                state.repairs = repairs;
            }
            self.states.insert(rel.table.clone(), state);
        }
        Ok(())
    }

    /// The rows `rel` should hold that `adopted` rows do not already stand for.
    fn slots(
        &self,
        rel: &Relation,
        model: &RowModel,
        public_rows: usize,
        adopted: &[PlacedRow],
    ) -> Vec<Slot<'a>> {
        if user::is_storage(&rel.table, "buckets") {
            return self.bucket_slots(rel, adopted);
        }
        if user::is_storage(&rel.table, "objects") {
            return self.object_slots();
        }
        let mut slots: Vec<Slot<'a>> = Vec::new();
        let tenants = self.tenant_names();
        match (&model.owner, &model.tenant) {
            (owner, Some(TenantLink::Tenant)) => {
                for t in tenants {
                    let mut slot = Slot::new(t.to_string());
                    if matches!(owner, Owner::Users(_)) {
                        slot.owner = self.tenant_owner(t);
                    }
                    slot.tenant = Some(t);
                    slots.push(slot);
                }
            }
            (Owner::Parent { parent, .. }, _) => {
                let rows = self
                    .states
                    .get(parent)
                    .map(|s| &s.rows[..])
                    .unwrap_or_default();
                for p in rows.iter().filter(|p| !p.facts.owners.is_empty()) {
                    let mut slot = Slot::new(p.label.clone());
                    let persons: Vec<&'a Identity> = p
                        .facts
                        .owners
                        .iter()
                        .flatten()
                        .filter_map(|n| self.person(n))
                        .collect();
                    slot.owner = persons.first().copied();
                    slot.parties = persons;
                    slot.tenant = p
                        .facts
                        .tenant
                        .as_deref()
                        .and_then(|t| tenants.iter().find(|x| **x == t).copied());
                    slot.parent = Some(p.label.clone());
                    slots.push(slot);
                }
            }
            (Owner::Users(cols), Some(TenantLink::Owners)) => {
                // a profile per identity and per synthesized member, in its first tenant
                let users: Vec<&'a Identity> = self.owners().chain(self.fillers).collect();
                for persons in party_rows(&users, cols.len()) {
                    let names: Vec<&str> = persons.iter().map(|p| p.name.as_str()).collect();
                    let mut slot = Slot::new(parties::label(&names));
                    slot.owner = persons.first().copied();
                    slot.tenant = self.tenants_of(names[0]).first().copied();
                    slot.parties = persons;
                    slots.push(slot);
                }
            }
            (Owner::Users(cols), Some(_)) => {
                for t in tenants {
                    let members = self.members(t);
                    for persons in party_rows(&members, cols.len()) {
                        let names: Vec<&str> = persons.iter().map(|p| p.name.as_str()).collect();
                        let mut label = parties::label(&names);
                        if self.tenants_of(names[0]).first() != Some(&t) {
                            label = format!("{label}@{t}");
                        }
                        let mut slot = Slot::new(label);
                        slot.owner = persons.first().copied();
                        slot.parties = persons;
                        slot.tenant = Some(t);
                        self.member_role(rel, t, names[0], &mut slot.fixed);
                        slots.push(slot);
                    }
                }
            }
            (Owner::Users(cols), None) => {
                // tenant members' rows reference their profiles
                let fillers = if user::is_profile(rel, self.catalog) {
                    self.fillers
                } else {
                    &[]
                };
                let owners: Vec<&'a Identity> = self.owners().chain(fillers).collect();
                for persons in party_rows(&owners, cols.len()) {
                    let names: Vec<&str> = persons.iter().map(|p| p.name.as_str()).collect();
                    let mut slot = Slot::new(parties::label(&names));
                    slot.owner = persons.first().copied();
                    slot.parties = persons;
                    slots.push(slot);
                }
            }
            (Owner::None, Some(_)) => {
                for t in tenants {
                    let mut slot = Slot::new(t.to_string());
                    slot.tenant = Some(t);
                    slots.push(slot);
                }
            }
            (Owner::None, None) => {
                for _ in adopted.len()..public_rows {
                    slots.push(Slot::new(PUBLIC.to_string()));
                }
            }
        }
        slots.retain(|s| s.label == PUBLIC || !adopted.iter().any(|r| r.label == s.label));
        slots
    }

    /// The member a tenant row names as its owner: its admin, else its first member.
    fn tenant_owner(&self, tenant: &str) -> Option<&'a Identity> {
        let tenancy = self.model.tenancy.as_ref()?;
        let t = tenancy.tenants.iter().find(|t| t.name == tenant)?;
        let admin = t
            .members
            .iter()
            .find(|m| m.role.is_some() && m.role == tenancy.admin_role);
        self.person(&admin.or(t.members.first())?.name)
    }

    /// A membership row carries the member's role.
    fn member_role(
        &self,
        rel: &Relation,
        tenant: &str,
        member: &str,
        fixed: &mut BTreeMap<String, String>,
    ) {
        let Some(tenancy) = &self.model.tenancy else {
            return;
        };
        if rel.table != tenancy.membership.table {
            return;
        }
        let (Some(column), Some(role)) = (
            tenancy
                .membership
                .role
                .as_deref()
                .and_then(|c| rel.column(c)),
            tenancy
                .tenants
                .iter()
                .find(|t| t.name == tenant)
                .and_then(|t| t.members.iter().find(|m| m.name == member))
                .and_then(|m| m.role.as_deref()),
        ) else {
            return;
        };
        fixed.insert(
            column.name.clone(),
            format!("{}::{}", literal(role), column.sql_type),
        );
    }

    /// Who a row of `rel` belongs to, read from its values: the users in its owner columns,
    /// the owners of the parent row it references, and its tenant.
    pub(super) fn facts_of(
        &self,
        rel: &Relation,
        model: &RowModel,
        json: &serde_json::Map<String, Json>,
        label: &str,
    ) -> RowFacts {
        let person_with_sub = |value: Option<&Json>| -> Option<String> {
            let sub = value?.as_str()?;
            self.identities
                .iter()
                .chain(self.fillers)
                .find(|i| i.sub.as_deref() == Some(sub))
                .map(|i| i.name.clone())
        };
        let owners = match &model.owner {
            Owner::Users(cols) => cols.iter().map(|c| person_with_sub(json.get(c))).collect(),
            Owner::Parent { fk, parent } => self
                .referenced(rel, *fk, parent, json)
                .map(|p| p.facts.owners.clone())
                .unwrap_or_default(),
            Owner::None => Vec::new(),
        };
        let tenant = match &model.tenant {
            Some(TenantLink::Tenant) => Some(label.to_string()),
            Some(TenantLink::Direct { fk }) => {
                let target = &rel.foreign_keys[*fk].target;
                self.referenced(rel, *fk, target, json)
                    .map(|p| p.label.clone())
            }
            Some(TenantLink::Parent { fk, parent }) => self
                .referenced(rel, *fk, parent, json)
                .and_then(|p| p.facts.tenant.clone()),
            Some(TenantLink::Owners) => owners
                .iter()
                .flatten()
                .next()
                .and_then(|o| self.tenants_of(o).first().map(|t| t.to_string())),
            None => None,
        };
        RowFacts { owners, tenant }
    }

    /// The placed row of `target` that foreign key `fk` of a row with values `json` references.
    fn referenced(
        &self,
        rel: &Relation,
        fk: usize,
        target: &crate::matrix::TableRef,
        json: &serde_json::Map<String, Json>,
    ) -> Option<&PlacedRow> {
        let fk = &rel.foreign_keys[fk];
        let values: Vec<&Json> = fk
            .columns
            .iter()
            .map(|c| json.get(c))
            .collect::<Option<_>>()?;
        if values.iter().any(|v| v.is_null()) {
            return None;
        }
        self.states.get(target)?.rows.iter().find(|p| {
            fk.target_columns
                .iter()
                .zip(&values)
                .all(|(tc, v)| p.json.get(tc) == Some(*v))
        })
    }

    /// Rows already there for our identities and tenant members (made by signup triggers), rows
    /// a trigger made under a parent row, and for ownerless tables any rows the migrations
    /// seeded.
    fn adopt(
        &self,
        client: &mut Client,
        rel: &Relation,
        model: &RowModel,
    ) -> Result<Vec<PlacedRow>, ProbeError> {
        let key = key_expr(rel);
        let table = rel.table.qualified();
        let mut found: Vec<(Option<String>, String, String)> = Vec::new();
        let mut read = |filter: &str, limit: u32, label: Option<String>| {
            let sql = format!(
                "select {key}, to_jsonb(t)::text from {table} t where {filter} limit {limit}"
            );
            for r in client
                .query(&sql, &[])
                .map_err(ProbeError::db("reading existing rows"))?
            {
                found.push((label.clone(), r.get(0), r.get(1)));
            }
            Ok::<_, ProbeError>(())
        };
        match &model.owner {
            Owner::Users(cols) => {
                for id in self.owners().chain(self.fillers) {
                    let sub = id.sub.as_deref().unwrap_or_default();
                    let filter = format!("t.{}::text = {}", quote_ident(&cols[0]), literal(sub));
                    read(&filter, 1, None)?;
                }
            }
            Owner::None => read("true", 20, None)?,
            Owner::Parent { fk, parent } => {
                // rows a trigger already made under an owned parent row
                let fk = &rel.foreign_keys[*fk];
                let parents = self
                    .states
                    .get(parent)
                    .map(|s| &s.rows[..])
                    .unwrap_or_default();
                for p in parents.iter().filter(|p| !p.facts.owners.is_empty()) {
                    let conditions: Option<Vec<String>> = referencing(fk, p).map(|pairs| {
                        pairs
                            .iter()
                            .map(|(c, v)| format!("t.{c}::text = {v}"))
                            .collect()
                    });
                    let Some(conditions) = conditions else {
                        continue;
                    };
                    read(&conditions.join(" and "), 1, Some(p.label.clone()))?;
                }
            }
        }
        Ok(found
            .into_iter()
            .map(|(label, key, json)| {
                let row = placed(String::new(), RowFacts::default(), key, json);
                let provisional = label.clone().unwrap_or_default();
                let facts = self.facts_of(rel, model, &row.json, &provisional);
                let label = label.unwrap_or_else(|| self.label_for(model, &facts));
                let facts = match model.tenant {
                    Some(TenantLink::Tenant) => RowFacts {
                        tenant: Some(label.clone()),
                        ..facts
                    },
                    _ => facts,
                };
                PlacedRow {
                    label,
                    facts,
                    ..row
                }
            })
            .collect())
    }

    /// Adopted rows of a table tied to its tenant by a key (a signup trigger's profile with a
    /// `team_id`, declared `tenant = "team_id"`) that the trigger left in no tenant: moved
    /// into their owner's first tenant, as the app does when its user joins one.
    fn settle_in_tenants(
        &self,
        client: &mut Client,
        rel: &Relation,
        model: &RowModel,
        rows: &mut [PlacedRow],
    ) -> Result<(), ProbeError> {
        let Some(TenantLink::Direct { fk }) = model.tenant else {
            return Ok(());
        };
        if rel.primary_key.is_empty() {
            return Ok(());
        }
        let fk = &rel.foreign_keys[fk];
        let Some(tenant_rows) = self.states.get(&fk.target).map(|s| &s.rows) else {
            return Ok(());
        };
        for row in rows.iter_mut() {
            if row.facts.tenant.is_some() {
                continue;
            }
            let Some(owner) = row.owner() else { continue };
            let Some(&tenant) = self.tenants_of(owner).first() else {
                continue;
            };
            let Some(tenant_row) = tenant_rows.iter().find(|p| p.label == tenant) else {
                continue;
            };
            let values: Option<Vec<String>> = referencing(fk, tenant_row)
                .map(|pairs| pairs.iter().map(|(c, v)| format!("{c} = {v}")).collect());
            let Some(values) = values else { continue };
            let sql = format!(
                "update {} t set {} where {} = {} returning to_jsonb(t)::text",
                rel.table.qualified(),
                values.join(", "),
                key_expr(rel),
                literal(&row.key)
            );
            // a trigger or constraint that refuses the move leaves the row where it was
            client
                .batch_execute("savepoint rlsgate_settle")
                .map_err(ProbeError::db("placing an adopted row in its tenant"))?;
            let updated = client.query_opt(&sql, &[]);
            let end = match updated {
                Ok(_) => "release savepoint rlsgate_settle",
                Err(_) => "rollback to savepoint rlsgate_settle",
            };
            client
                .batch_execute(end)
                .map_err(ProbeError::db("placing an adopted row in its tenant"))?;
            if let Ok(Some(Ok(Json::Object(json)))) =
                updated.map(|r| r.map(|r| serde_json::from_str::<Json>(&r.get::<_, String>(0))))
            {
                row.json = json;
                row.facts.tenant = Some(tenant.to_string());
            }
        }
        Ok(())
    }

    /// A row `rel` holds before synthesis, when it holds one.
    fn read_template(
        &self,
        client: &mut Client,
        rel: &Relation,
    ) -> Result<Option<serde_json::Map<String, Json>>, ProbeError> {
        let sql = format!(
            "select to_jsonb(t)::text from {} t limit 1",
            rel.table.qualified()
        );
        let row = client
            .query_opt(&sql, &[])
            .map_err(ProbeError::db("reading a template row"))?;
        Ok(
            row.and_then(|r| match serde_json::from_str(&r.get::<_, String>(0)) {
                Ok(Json::Object(m)) => Some(m),
                _ => None,
            }),
        )
    }

    /// The label of an adopted row: its owners (`alice`, `alice&bob`, `alice@t2` outside the
    /// owner's first tenant), its tenant, or `public`.
    pub(super) fn label_for(&self, model: &RowModel, facts: &RowFacts) -> String {
        let owners: Vec<&str> = facts.owners.iter().flatten().map(String::as_str).collect();
        if owners.is_empty() {
            return match (&model.tenant, &facts.tenant) {
                (Some(_), Some(t)) => t.clone(),
                _ => PUBLIC.to_string(),
            };
        }
        let label = parties::label(&owners);
        match &facts.tenant {
            Some(t)
                if !matches!(model.tenant, Some(TenantLink::Tenant))
                    && self.tenants_of(owners[0]).first().copied() != Some(t.as_str()) =>
            {
                format!("{label}@{t}")
            }
            _ => label,
        }
    }

    /// Inserts the rows a person pinned in `fixtures/`.
    pub fn place_fixtures(
        &mut self,
        client: &mut Client,
        fixtures: &[FixtureRow],
    ) -> Result<(), ProbeError> {
        for f in fixtures {
            let Some(rel) = self.catalog.get(&f.table) else {
                return Err(ProbeError::Fixture {
                    label: f.label.clone(),
                    message: format!("no table {}", f.table),
                });
            };
            let owner = match &f.owner {
                Some(name) => Some(
                    self.identities
                        .iter()
                        .find(|i| &i.name == name)
                        .ok_or_else(|| ProbeError::Fixture {
                            label: f.label.clone(),
                            message: format!("unknown identity {name}"),
                        })?,
                ),
                None => None,
            };
            let values = f
                .resolved_values(self.identities)
                .map_err(|e| ProbeError::Fixture {
                    label: f.label.clone(),
                    message: e.to_string(),
                })?;
            let mut fixed = BTreeMap::new();
            for (col, value) in &values {
                let ty = rel.column(col).map(|c| c.sql_type.clone()).ok_or_else(|| {
                    ProbeError::Fixture {
                        label: f.label.clone(),
                        message: format!("{} has no column {col}", f.table),
                    }
                })?;
                fixed.insert(
                    col.clone(),
                    format!("{}::{ty}", crate::probe::values::json_literal(value)),
                );
            }
            let tenant = owner.and_then(|o| self.tenants_of(&o.name).first().copied());
            let row = self
                .insert(
                    client,
                    rel,
                    &RowSpec {
                        owner,
                        tenant,
                        fixed,
                        ..RowSpec::default()
                    },
                )
                .map_err(|e| ProbeError::Fixture {
                    label: f.label.clone(),
                    message: e.to_string(),
                })?;
            let model = self.model_of(&rel.table).clone();
            let mut facts = self.facts_of(rel, &model, &row.json, &f.label);
            if facts.owners.iter().all(Option::is_none) {
                facts.owners = owner
                    .map(|o| vec![Some(o.name.clone())])
                    .unwrap_or_default();
            }
            let state = self
                .states
                .entry(f.table.clone())
                .or_insert_with(|| TableState {
                    model,
                    rows: Vec::new(),
                    error: None,
                    repairs: Repairs::default(),
                    template: None,
                });
            state.rows.push(PlacedRow {
                label: f.label.clone(),
                facts,
                ..row
            });
        }
        Ok(())
    }
}

/// The users in each party column of each row: one row per user for a single owner column,
/// pairs (cyclic) for several.
fn party_rows<'a>(users: &[&'a Identity], columns: usize) -> Vec<Vec<&'a Identity>> {
    if columns <= 1 {
        users.iter().map(|u| vec![*u]).collect()
    } else {
        parties::assignments(users, columns)
    }
}

/// The columns of `fk` (quoted) with the text literals that make them reference `row`: `None`
/// when the row holds a NULL in a referenced column.
fn referencing(fk: &ForeignKey, row: &PlacedRow) -> Option<Vec<(String, String)>> {
    fk.columns
        .iter()
        .zip(&fk.target_columns)
        .map(|(c, tc)| {
            let v = match row.json.get(tc)? {
                Json::String(s) => s.clone(),
                Json::Null => return None,
                other => other.to_string(),
            };
            Some((quote_ident(c), literal(&v)))
        })
        .collect()
}
