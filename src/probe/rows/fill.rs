//! The values of a new row, column by column: its owners, its tenant, the parent rows its
//! foreign keys reference (the owner's, in the same tenant), and synthesized values for the
//! rest, with the repairs learned from earlier inserts.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::alternatives::{Alternative, Need};
use super::{is_fk_column, reference, PlacedRow, RowSpec, Synthesizer};
use crate::matrix::TableRef;
use crate::probe::catalog::Relation;
use crate::probe::ownership::{user, Owner};
use crate::probe::values::{generate, json_literal, literal};
use crate::spec::Identity;

impl<'a> Synthesizer<'a> {
    /// Values for a probe's new row, with the repairs synthesis found for the table.
    pub fn probe_values(
        &self,
        rel: &Relation,
        spec: &RowSpec,
        seq: usize,
    ) -> Result<BTreeMap<String, String>, String> {
        self.values(
            rel,
            spec,
            seq,
            &HashMap::new(),
            &HashMap::new(),
            &HashSet::new(),
        )
    }

    /// Column -> SQL expression for a new row.
    pub fn values(
        &self,
        rel: &Relation,
        spec: &RowSpec,
        seq: usize,
        attempts: &HashMap<String, usize>,
        hints: &HashMap<String, Vec<String>>,
        forced: &HashSet<String>,
    ) -> Result<BTreeMap<String, String>, String> {
        let learned = self
            .learned
            .get(&rel.table)
            .or_else(|| self.states.get(&rel.table).map(|s| &s.repairs));
        let none = HashSet::new();
        let no_choice = BTreeMap::new();
        let none = (&none, &none, &no_choice);
        match learned {
            Some(r) if attempts.is_empty() && hints.is_empty() && forced.is_empty() => self
                .values_with(
                    rel,
                    spec,
                    seq,
                    &r.attempts,
                    &r.hints,
                    &r.forced,
                    (&r.other_party, &r.nulled, &r.chosen),
                ),
            _ => self.values_with(rel, spec, seq, attempts, hints, forced, none),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn values_with(
        &self,
        rel: &Relation,
        spec: &RowSpec,
        seq: usize,
        attempts: &HashMap<String, usize>,
        hints: &HashMap<String, Vec<String>>,
        forced: &HashSet<String>,
        (other_party, nulled, chosen): (
            &HashSet<String>,
            &HashSet<String>,
            &BTreeMap<String, Alternative>,
        ),
    ) -> Result<BTreeMap<String, String>, String> {
        let mut values: BTreeMap<String, String> = spec.fixed.clone();
        let model = self.model_of(&rel.table);
        if let Owner::Users(cols) = &model.owner {
            for (i, col) in cols.iter().enumerate() {
                if values.contains_key(col) {
                    continue;
                }
                let person = spec.parties.get(i).copied().or(if i == 0 {
                    spec.owner
                } else {
                    self.someone_else(spec)
                });
                if let Some(sub) = person.and_then(|o| o.sub.as_deref()) {
                    let ty = rel
                        .column(col)
                        .map(|c| c.sql_type.as_str())
                        .unwrap_or("uuid");
                    values.insert(col.clone(), format!("{}::{ty}", literal(sub)));
                } else if rel.column(col).is_some_and(|c| c.not_null) {
                    return Err(format!(
                        "{col} is required and an identity without a user id owns nothing"
                    ));
                } else {
                    values.insert(col.clone(), "null".to_string());
                }
            }
        }
        if let (Some(k), Some(tenant)) = (model.tenant_fk(), spec.tenant) {
            let fk = &rel.foreign_keys[k];
            if !fk.columns.iter().any(|c| values.contains_key(c)) {
                let row = self
                    .tenant_row(&fk.target, tenant, spec.owner)
                    .ok_or_else(|| {
                        format!(
                            "no row of {} in tenant {tenant} to reference from {}",
                            fk.target,
                            fk.columns.join(", ")
                        )
                    })?;
                values.extend(reference(rel, fk, row));
            }
        }
        let users = user::user_columns(rel, self.catalog);
        for (k, fk) in rel.foreign_keys.iter().enumerate() {
            if fk
                .columns
                .iter()
                .any(|c| values.contains_key(c) || nulled.contains(c))
                || fk.target == rel.table
            {
                continue;
            }
            let is_owner_fk = matches!(model.owner, Owner::Parent { fk: f, .. } if f == k);
            let required = fk
                .columns
                .iter()
                .any(|c| rel.column(c).is_some_and(|c| c.not_null));
            // another user's row: a CHECK wants two parties to differ, or the column names a
            // user who is not the row's owner (an assignee, a recipient)
            let other = fk.columns.iter().any(|c| other_party.contains(c))
                || (fk.columns.len() == 1 && users.contains(&fk.columns[0].as_str()));
            let user_column = fk.columns.len() == 1 && users.contains(&fk.columns[0].as_str());
            let parent = if let (true, Some(label)) = (is_owner_fk, spec.parent) {
                self.states
                    .get(&fk.target)
                    .and_then(|s| s.rows.iter().find(|r| r.label == label))
            } else if let (true, Some(actor), false) = (
                user_column && user::is_author(&fk.columns[0]),
                spec.actor,
                fk.columns.iter().any(|c| other_party.contains(c)),
            ) {
                self.parent_row(&fk.target, Some(actor), None, true)
            } else if other {
                // with nobody else's row there (a shared catalog), any other row will do
                let usual = self
                    .parent_row(&fk.target, spec.owner, spec.tenant, false)
                    .map(|r| r.key.as_str());
                self.parent_row(&fk.target, self.someone_else(spec), spec.tenant, true)
                    .or_else(|| {
                        self.states
                            .get(&fk.target)?
                            .rows
                            .iter()
                            .find(|r| Some(r.key.as_str()) != usual)
                    })
            } else if let Some(shared) = self.shared_parent(&fk.target, spec) {
                // a row of several parties refers to a parent row they all share (the booking
                // a review is about)
                Some(shared)
            } else {
                self.parent_row(&fk.target, spec.owner, spec.tenant, is_owner_fk)
            };
            match parent {
                Some(p) => {
                    values.extend(reference(rel, fk, p));
                }
                None if required || is_owner_fk => {
                    return Err(format!(
                        "no row in {} to reference from {}",
                        fk.target,
                        fk.columns.join(", ")
                    ));
                }
                None => {}
            }
        }
        for c in nulled {
            values.insert(c.clone(), "null".to_string());
        }
        for (c, need) in chosen.values().flatten() {
            let Some(col) = rel.column(c) else { continue };
            match need {
                Need::Equals(v) => {
                    values.insert(c.clone(), format!("{v}::{}", col.sql_type));
                }
                Need::Null => {
                    values.insert(c.clone(), "null".to_string());
                }
                Need::NotNull
                    if !is_fk_column(rel, c) && values.get(c).is_none_or(|v| v == "null") =>
                {
                    let attempt = attempts.get(c).copied().unwrap_or(0);
                    let h = hints.get(c).cloned().unwrap_or_default();
                    values.insert(
                        c.clone(),
                        generate(&rel.table.to_string(), col, seq, attempt, &h),
                    );
                }
                Need::NotNull => {}
            }
        }
        if rel.table.schema == "storage"
            && rel.table.name == "objects"
            && rel.column("name").is_some()
            && !values.contains_key("name")
        {
            // Objects live under their owner's folder, as Supabase apps upload them and as
            // policies check it: `(storage.foldername(name))[1] = auth.uid()::text`; an
            // object of nobody's lives in a folder named like a user id of nobody's, which a
            // policy casting the folder to uuid reads as such.
            let folder = spec
                .owner
                .and_then(|o| o.sub.as_deref())
                .unwrap_or(super::storage::NOBODYS_FOLDER);
            values.insert(
                "name".to_string(),
                format!("{}::text", literal(&format!("{folder}/object-{seq}.txt"))),
            );
        }
        self.fill_from_template(rel, forced, attempts, &mut values);
        let key = rel.table.to_string();
        for col in &rel.columns {
            if values.contains_key(&col.name) || !col.writable() {
                continue;
            }
            if col.required() || forced.contains(&col.name) || rel.needs_fresh_value(col) {
                let attempt = attempts.get(&col.name).copied().unwrap_or(0);
                let no_hints = Vec::new();
                let h = hints.get(&col.name).unwrap_or(&no_hints);
                // probe rows count from 100,000: too big for `check (score between 0 and 100)`
                let checked =
                    col.category == 'N' && rel.checks.iter().any(|c| c.columns.contains(&col.name));
                let seq = if checked { seq % 50 } else { seq };
                values.insert(col.name.clone(), generate(&key, col, seq, attempt, h));
            }
        }
        Ok(values)
    }

    /// The required columns a new row has no value for yet take the table's template row's
    /// values, but for keys (each row needs its own), values repairs changed, and arrays.
    fn fill_from_template(
        &self,
        rel: &Relation,
        forced: &HashSet<String>,
        attempts: &HashMap<String, usize>,
        values: &mut BTreeMap<String, String>,
    ) {
        let Some(template) = self
            .templates
            .get(&rel.table)
            .or_else(|| self.states.get(&rel.table)?.template.as_ref())
        else {
            return;
        };
        let keyed = |c: &str| rel.unique_keys().any(|k| k.iter().any(|k| k == c));
        for col in &rel.columns {
            let Some(value) = template.get(&col.name).filter(|v| !v.is_null()) else {
                continue;
            };
            if values.contains_key(&col.name)
                || !col.required()
                || forced.contains(&col.name)
                || attempts.get(&col.name).is_some_and(|&a| a > 0)
                || col.default_is_unique()
                || col.category == 'A'
                || keyed(&col.name)
            {
                continue;
            }
            let text = if matches!(col.base_type.as_str(), "json" | "jsonb") {
                literal(&value.to_string())
            } else {
                json_literal(value)
            };
            values.insert(col.name.clone(), format!("{text}::{}", col.sql_type));
        }
    }

    /// A row of `table` to reference: the owner's own (in the tenant, when given) when there
    /// is one, else a row of the tenant, else a public row, else (unless ownership must follow)
    /// anyone's.
    pub(super) fn parent_row(
        &self,
        table: &TableRef,
        owner: Option<&Identity>,
        tenant: Option<&str>,
        must_match: bool,
    ) -> Option<&PlacedRow> {
        let state = self.states.get(table)?;
        let in_tenant = |r: &PlacedRow| {
            tenant.is_none() || r.facts.tenant.is_none() || r.facts.tenant.as_deref() == tenant
        };
        if let Some(o) = owner {
            if let Some(r) = state
                .rows
                .iter()
                .find(|r| r.is_owned_by(&o.name) && in_tenant(r))
            {
                return Some(r);
            }
        }
        if must_match && owner.is_some() {
            return None;
        }
        let of_tenant = tenant.and_then(|t| {
            state
                .rows
                .iter()
                .find(|r| r.facts.tenant.as_deref() == Some(t))
        });
        of_tenant
            .or_else(|| {
                state
                    .rows
                    .iter()
                    .find(|r| r.facts.owners.is_empty() && r.facts.tenant.is_none())
            })
            .or_else(|| if must_match { None } else { state.rows.first() })
    }

    /// A row of `table` every party of `spec` owns, when it has two or more.
    fn shared_parent(&self, table: &TableRef, spec: &RowSpec) -> Option<&PlacedRow> {
        if spec.parties.len() < 2 {
            return None;
        }
        self.states.get(table)?.rows.iter().find(|r| {
            spec.parties.iter().all(|p| r.is_owned_by(&p.name))
                && (spec.tenant.is_none() || r.facts.tenant.as_deref() == spec.tenant)
        })
    }

    /// A row of `table` living in `tenant` (the tenant's own row, in the tenant table): the
    /// owner's when there is one.
    pub(crate) fn tenant_row(
        &self,
        table: &TableRef,
        tenant: &str,
        owner: Option<&Identity>,
    ) -> Option<&PlacedRow> {
        let rows = &self.states.get(table)?.rows;
        let in_tenant = |r: &&PlacedRow| r.facts.tenant.as_deref() == Some(tenant);
        owner
            .and_then(|o| {
                rows.iter()
                    .filter(in_tenant)
                    .find(|r| r.is_owned_by(&o.name))
            })
            .or_else(|| rows.iter().find(in_tenant))
    }

    /// A user for a row's other user columns: a synthesized member of the row's tenant, or
    /// another identity than the owner.
    pub(crate) fn someone_else(&self, spec: &RowSpec) -> Option<&'a Identity> {
        let owner = spec.owner.map(|o| o.name.as_str());
        if let Some(t) = spec.tenant {
            let members = self.members(t);
            if let Some(m) = members.iter().rev().find(|m| {
                Some(m.name.as_str()) != owner && !spec.parties.iter().any(|p| p.name == m.name)
            }) {
                return Some(*m);
            }
        }
        self.owners().find(|o| {
            Some(o.name.as_str()) != owner && !spec.parties.iter().any(|p| p.name == o.name)
        })
    }
}
