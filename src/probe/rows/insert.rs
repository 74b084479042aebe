//! Inserting one row as the superuser, repairing its values from the errors Postgres gives
//! (CHECK, NOT NULL, unique, invalid input) until it goes in.

use std::collections::{BTreeMap, HashMap, HashSet};

use postgres::Client;

use super::alternatives::{alternatives, Alternative, Need};
use super::untriggered;
use super::{
    insert_sql, is_fk_column, key_expr, placed, reference, unique_columns, NotInserted, PlacedRow,
    Repairs, RowSpec, Synthesizer,
};
use crate::matrix::{quote_ident, RowFacts};
use crate::probe::catalog::Relation;
use crate::probe::ownership::TenantLink;
use crate::probe::values::check_hints;

impl<'a> Synthesizer<'a> {
    /// Inserts one row as the superuser, repairing values from the errors Postgres gives.
    pub fn insert(
        &mut self,
        client: &mut Client,
        rel: &Relation,
        spec: &RowSpec,
    ) -> Result<PlacedRow, NotInserted> {
        let mut attempts: HashMap<String, usize> = HashMap::new();
        let mut hints: HashMap<String, Vec<String>> = HashMap::new();
        let mut forced: HashSet<String> = HashSet::new();
        let learned = self.learned.get(&rel.table);
        let mut other_party: HashSet<String> =
            learned.map(|r| r.other_party.clone()).unwrap_or_default();
        let mut nulled: HashSet<String> = learned.map(|r| r.nulled.clone()).unwrap_or_default();
        let mut chosen: BTreeMap<String, Alternative> =
            learned.map(|r| r.chosen.clone()).unwrap_or_default();
        let mut tried: HashMap<String, usize> = HashMap::new();
        // parents of its own for a row whose unique key is made of references
        let mut pinned: BTreeMap<String, String> = BTreeMap::new();
        let mut last = String::new();
        // what a trigger said when it refused the row, once the row goes in without triggers
        let mut refused_by_trigger: Option<String> = None;
        'retry: for _ in 0..20 {
            self.seq += 1;
            let mut fixed = pinned.clone();
            fixed.extend(spec.fixed.clone());
            let with_pinned = RowSpec {
                owner: spec.owner,
                parties: spec.parties.clone(),
                tenant: spec.tenant,
                parent: spec.parent,
                fixed,
                actor: spec.actor,
            };
            let values = self.values_with(
                rel,
                &with_pinned,
                self.seq,
                &attempts,
                &hints,
                &forced,
                (&other_party, &nulled, &chosen),
            )?;
            let sql = insert_sql(
                rel,
                &values,
                &format!("{}, to_jsonb(t)::text", key_expr(rel)),
            );
            client
                .batch_execute("savepoint rlsgate_row")
                .map_err(|e| e.to_string())?;
            if refused_by_trigger.is_some() {
                untriggered::set_replica(client, true)?;
            }
            match client.query_one(&sql, &[]) {
                Ok(row) => {
                    if let Some(refusal) = &refused_by_trigger {
                        untriggered::set_replica(client, false)?;
                        if !untriggered::references_hold(client, rel, &row.get::<_, String>(0)) {
                            client
                                .batch_execute("rollback to savepoint rlsgate_row")
                                .map_err(|e| e.to_string())?;
                            return Err(refusal.clone().into());
                        }
                        self.untriggered
                            .entry(rel.table.clone())
                            .or_insert_with(|| refusal.clone());
                    }
                    client
                        .batch_execute("release savepoint rlsgate_row")
                        .map_err(|e| e.to_string())?;
                    if !attempts.is_empty()
                        || !forced.is_empty()
                        || !other_party.is_empty()
                        || !nulled.is_empty()
                        || !chosen.is_empty()
                    {
                        self.learned.insert(
                            rel.table.clone(),
                            Repairs {
                                attempts,
                                hints,
                                forced,
                                other_party,
                                nulled,
                                chosen,
                            },
                        );
                    }
                    return Ok(placed(
                        String::new(),
                        RowFacts::owned_by(spec.owner.map(|o| o.name.clone())),
                        row.get(0),
                        row.get(1),
                    ));
                }
                Err(e) => {
                    client
                        .batch_execute("rollback to savepoint rlsgate_row")
                        .map_err(|e| e.to_string())?;
                    last = crate::probe::describe(&e);
                    let Some(db) = e.as_db_error() else {
                        return Err(last.into());
                    };
                    // a trigger's `raise` with a constraint's SQLSTATE is the app's rule
                    let code = if untriggered::raised_by_rule(db) {
                        "P0001"
                    } else {
                        db.code().code()
                    };
                    match code {
                        "23514" => {
                            let check = rel
                                .checks
                                .iter()
                                .find(|c| Some(c.name.as_str()) == db.constraint());
                            let Some(check) = check else {
                                return Err(last.into());
                            };
                            let fk_cols: Vec<&String> = check
                                .columns
                                .iter()
                                .filter(|c| {
                                    rel.foreign_keys.iter().any(|fk| fk.columns.contains(c))
                                })
                                .collect();
                            if fk_cols.len() >= 2 {
                                let owner_col =
                                    self.model_of(&rel.table).owner_column().map(str::to_string);
                                if let Some(c) = fk_cols.iter().find(|c| {
                                    Some(**c) != owner_col.as_ref() && !other_party.contains(**c)
                                }) {
                                    other_party.insert((*c).clone());
                                    continue;
                                }
                            }
                            let owner_cols: Vec<String> = self
                                .model_of(&rel.table)
                                .owner_columns(rel)
                                .into_iter()
                                .cloned()
                                .collect();
                            let mut alts = alternatives(&check.definition);
                            let numeric =
                                |c: &String| rel.column(c).is_some_and(|c| c.category == 'N');
                            if check.columns.len() >= 2 && check.columns.iter().all(numeric) {
                                // `total = units * per_unit`: ones satisfy most arithmetic rules
                                alts.push(
                                    check
                                        .columns
                                        .iter()
                                        .map(|c| (c.clone(), Need::Equals("1".into())))
                                        .collect(),
                                );
                            }
                            let usable = |alt: &Alternative| {
                                alt.iter().all(|(c, need)| {
                                    let Some(col) = rel.column(c) else {
                                        return false;
                                    };
                                    match need {
                                        Need::NotNull => true,
                                        _ if owner_cols.contains(c) => false,
                                        Need::Equals(_) => col.writable() && !is_fk_column(rel, c),
                                        Need::Null => !col.not_null,
                                    }
                                })
                            };
                            let k = tried.entry(check.name.clone()).or_default();
                            while let Some(alt) = alts.get(*k) {
                                *k += 1;
                                if usable(alt) {
                                    for (c, need) in alt {
                                        if *need == Need::Null {
                                            nulled.insert(c.clone());
                                        } else {
                                            nulled.remove(c);
                                        }
                                    }
                                    chosen.insert(check.name.clone(), alt.clone());
                                    continue 'retry;
                                }
                            }
                            if check.definition.to_ascii_uppercase().contains("IS NULL") {
                                let owner_col =
                                    self.model_of(&rel.table).owner_column().map(str::to_string);
                                let candidate = check.columns.iter().find(|c| {
                                    Some(*c) != owner_col.as_ref()
                                        && !nulled.contains(*c)
                                        && values.contains_key(*c)
                                        && rel.column(c).is_some_and(|c| !c.not_null)
                                });
                                if let Some(c) = candidate {
                                    nulled.insert(c.clone());
                                    continue;
                                }
                            }
                            for col in &check.columns {
                                forced.insert(col.clone());
                                *attempts.entry(col.clone()).or_default() += 1;
                                hints.insert(col.clone(), check_hints(&check.definition));
                            }
                        }
                        "23502" => match db.column() {
                            Some(col) if !forced.contains(col) => {
                                forced.insert(col.to_string());
                            }
                            _ => return Err(last.into()),
                        },
                        "23505" => {
                            let key = unique_columns(db.detail().unwrap_or_default());
                            if spec.fixed.is_empty() {
                                if let Some(row) =
                                    self.adopt_conflict(client, rel, spec, &values, &key)
                                {
                                    // the values got past the CHECKs: probe rows reuse them
                                    self.learned.insert(
                                        rel.table.clone(),
                                        Repairs {
                                            attempts,
                                            hints,
                                            forced,
                                            other_party,
                                            nulled,
                                            chosen,
                                        },
                                    );
                                    return Ok(PlacedRow {
                                        facts: RowFacts::owned_by(
                                            spec.owner.map(|o| o.name.clone()),
                                        ),
                                        ..row
                                    });
                                }
                            }
                            if !key.iter().any(|c| {
                                !is_fk_column(rel, c) && rel.column(c).is_some_and(|c| c.writable())
                            }) {
                                // a key of references (a one-to-one link): a parent of its own
                                let placed_by = self.placement_columns(rel, spec);
                                if let Some(k) = rel.foreign_keys.iter().position(|fk| {
                                    fk.target != rel.table
                                        && fk.columns.iter().all(|c| key.contains(c))
                                        && !fk.columns.iter().any(|c| placed_by.contains(c))
                                }) {
                                    if let Some(parent) =
                                        self.unused_parent(client, rel, k, spec, &values, &key)
                                    {
                                        pinned.extend(reference(
                                            rel,
                                            &rel.foreign_keys[k],
                                            &parent,
                                        ));
                                        continue;
                                    }
                                }
                                if key.iter().all(|c| placed_by.contains(c)) {
                                    return Err(NotInserted::Taken(last));
                                }
                            }
                            self.seq += 1000;
                            // constants (enum labels, CHECK literals, a column default) do not
                            // change with seq
                            for col in key {
                                if is_fk_column(rel, &col)
                                    || !rel.column(&col).is_some_and(|c| c.writable())
                                {
                                    continue;
                                }
                                forced.insert(col.clone());
                                *attempts.entry(col).or_default() += 1;
                            }
                        }
                        "22P02" | "22001" | "22003" | "22007" | "22008" | "22023" => {
                            for c in values.keys() {
                                *attempts.entry(c.clone()).or_default() += 1;
                            }
                        }
                        _ => {
                            // a trigger's business rule (`Assigned coach must be active
                            // staff`): the row without its optional references
                            let optional = self.optional_references(rel, &values, &nulled);
                            if !optional.is_empty() {
                                nulled.extend(optional);
                                continue;
                            }
                            // or another value the CHECK allows (`PACKET` units need a
                            // product, `BOX` units do not)
                            let next: Vec<String> = attempts
                                .iter()
                                .filter(|(c, &a)| {
                                    a > 0 && hints.get(*c).is_some_and(|h| a < h.len())
                                })
                                .map(|(c, _)| c.clone())
                                .collect();
                            if next.is_empty() {
                                // the app's rule, not the row's shape: placed as a data-only
                                // seed loads, with triggers off
                                if refused_by_trigger.is_none()
                                    && untriggered::raised_by_trigger(db)
                                {
                                    refused_by_trigger = Some(last.clone());
                                    continue;
                                }
                                return Err(last.into());
                            }
                            for c in next {
                                *attempts.entry(c).or_default() += 1;
                            }
                        }
                    }
                }
            }
        }
        Err(last.into())
    }

    /// The nullable foreign-key columns a row sets that carry neither its owner nor its
    /// tenant.
    fn optional_references(
        &self,
        rel: &Relation,
        values: &BTreeMap<String, String>,
        nulled: &HashSet<String>,
    ) -> Vec<String> {
        let model = self.model_of(&rel.table);
        let owning = model.owner_columns(rel);
        let tenant: Vec<&String> = model
            .tenant_fk()
            .map(|k| rel.foreign_keys[k].columns.iter().collect())
            .unwrap_or_default();
        rel.foreign_keys
            .iter()
            .flat_map(|fk| &fk.columns)
            .filter(|c| {
                !owning.contains(c)
                    && !tenant.contains(c)
                    && !nulled.contains(*c)
                    && values.get(*c).is_some_and(|v| v != "null")
                    && rel.column(c).is_some_and(|col| !col.not_null)
            })
            .cloned()
            .collect()
    }

    /// Rows adopted from triggers or seeds taught nothing about the table's CHECKs: insert one
    /// more and roll it back, so probe rows start from values that pass them.
    pub(super) fn learn_from_a_trial_row(
        &mut self,
        client: &mut Client,
        rel: &Relation,
        owner: Option<&str>,
    ) {
        if self.learned.contains_key(&rel.table)
            || client.batch_execute("savepoint rlsgate_trial").is_err()
        {
            return;
        }
        let owner = owner.and_then(|name| self.person(name));
        let tenant = owner.and_then(|o| self.tenants_of(&o.name).first().copied());
        let placed_untriggered = self.untriggered.contains_key(&rel.table);
        let _ = self.insert(
            client,
            rel,
            &RowSpec {
                owner,
                tenant,
                ..RowSpec::default()
            },
        );
        let _ = client.batch_execute("rollback to savepoint rlsgate_trial");
        if !placed_untriggered {
            self.untriggered.remove(&rel.table);
        }
    }

    /// The row already holding a unique key the new row collides with, when it is the row
    /// we wanted: same owner (owner column or owning parent), same tenant and the same key
    /// values, e.g. a row a trigger seeded for every combination. Never another tenant.
    fn adopt_conflict(
        &self,
        client: &mut Client,
        rel: &Relation,
        spec: &RowSpec,
        values: &BTreeMap<String, String>,
        key: &[String],
    ) -> Option<PlacedRow> {
        let model = self.model_of(&rel.table);
        if matches!(model.tenant, Some(TenantLink::Tenant)) {
            return None;
        }
        let owner_columns: Vec<&String> = model
            .owner_columns(rel)
            .into_iter()
            .filter(|c| !key.contains(c))
            .collect();
        let tenant_columns: Vec<&String> = match (model.tenant_fk(), spec.tenant) {
            (Some(k), Some(_)) => rel.foreign_keys[k]
                .columns
                .iter()
                .filter(|c| !key.contains(c) && !owner_columns.contains(c))
                .collect(),
            _ => Vec::new(),
        };
        let condition = |c: &String| Some(format!("t.{} = {}", quote_ident(c), values.get(c)?));
        let same_key: Vec<String> = key.iter().map(condition).collect::<Option<_>>()?;
        if same_key.is_empty() {
            return None;
        }
        let same_owner: Vec<String> = owner_columns
            .iter()
            .chain(&tenant_columns)
            .map(|c| condition(c))
            .collect::<Option<_>>()?;
        let table = rel.table.qualified();
        let returning = format!("{}, to_jsonb(t)::text", key_expr(rel));
        let ours = format!(
            "select {returning} from {table} t where {} limit 1",
            same_key
                .iter()
                .chain(&same_owner)
                .cloned()
                .collect::<Vec<_>>()
                .join(" and ")
        );
        // A row seeded with no owner (a trigger filling every combination) is taken over.
        let unowned = (!owner_columns.is_empty()).then(|| {
            let set: Vec<String> = owner_columns
                .iter()
                .map(|c| format!("{} = {}", quote_ident(c), values[*c]))
                .collect();
            let ownerless: Vec<String> = owner_columns
                .iter()
                .map(|c| format!("t.{} is null", quote_ident(c)))
                .collect();
            format!(
                "update {table} as t set {} where ctid = (select ctid from {table} t where {} and {} limit 1) returning {returning}",
                set.join(", "),
                same_key.join(" and "),
                ownerless.join(" and ")
            )
        });
        for sql in std::iter::once(ours).chain(unowned) {
            client.batch_execute("savepoint rlsgate_adopt").ok()?;
            let found = client.query_opt(&sql, &[]);
            let end = if found.is_ok() {
                "release savepoint rlsgate_adopt"
            } else {
                "rollback to savepoint rlsgate_adopt"
            };
            client.batch_execute(end).ok()?;
            if let Ok(Some(row)) = found {
                return Some(placed(
                    String::new(),
                    RowFacts::default(),
                    row.get(0),
                    row.get(1),
                ));
            }
        }
        None
    }
}
