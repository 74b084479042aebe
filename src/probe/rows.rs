//! Rows for every table: owned by each identity that owns rows, or nobody's ("public"),
//! synthesized column by column (honouring NOT NULL, CHECK, enums, unique, defaults,
//! identity/generated columns and foreign keys), or pinned in `fixtures/`. Inserted by the
//! superuser, so RLS does not stand in the way; triggers run as in production.

use std::collections::{BTreeMap, HashMap, HashSet};

use postgres::Client;
use serde_json::Value as Json;

use super::catalog::{Catalog, ForeignKey, Relation};
use super::owner::Ownership;
use super::values::{check_hints, generate, json_literal, literal};

mod alternatives;

use super::ProbeError;
use crate::matrix::{quote_ident, TableRef};
use crate::spec::{FixtureRow, Identity};
use alternatives::{alternatives, Alternative, Need};

pub const PUBLIC: &str = "public";

#[derive(Debug, Clone)]
pub struct PlacedRow {
    pub label: String,
    /// Owning identity's name.
    pub owner: Option<String>,
    /// The row's key as `key_expr` prints it.
    pub key: String,
    pub json: serde_json::Map<String, Json>,
}

#[derive(Debug, Clone)]
pub struct TableState {
    pub ownership: Ownership,
    pub rows: Vec<PlacedRow>,
    /// Why rows could not be synthesized; the table's cells are then inconclusive.
    pub error: Option<String>,
    /// The value choices that got a row past the table's CHECKs, reused for probe rows.
    pub repairs: Repairs,
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
    pub ownership: &'a [Ownership],
    pub identities: &'a [Identity],
    pub states: HashMap<TableRef, TableState>,
    seq: usize,
    learned: HashMap<TableRef, Repairs>,
}

/// What a new row should look like.
pub struct RowSpec<'s> {
    pub owner: Option<&'s Identity>,
    /// Explicit values (fixtures, probes), as SQL expressions.
    pub fixed: BTreeMap<String, String>,
}

impl<'a> Synthesizer<'a> {
    pub fn new(
        catalog: &'a Catalog,
        ownership: &'a [Ownership],
        identities: &'a [Identity],
    ) -> Self {
        Synthesizer {
            catalog,
            ownership,
            identities,
            states: HashMap::new(),
            seq: 0,
            learned: HashMap::new(),
        }
    }

    pub fn ownership_of(&self, table: &TableRef) -> &Ownership {
        let i = self
            .catalog
            .relations
            .iter()
            .position(|r| &r.table == table);
        i.map(|i| &self.ownership[i]).unwrap_or(&Ownership::None)
    }

    fn owners(&self) -> impl Iterator<Item = &'a Identity> {
        self.identities.iter().filter(|i| i.owns_rows())
    }

    /// Creates the identities' `auth.users` rows the way Supabase Auth does: as
    /// `supabase_auth_admin`, so signup triggers run with their production privileges.
    pub fn create_users(&mut self, client: &mut Client) -> Result<(), ProbeError> {
        let as_auth_admin = client
            .query_one("select exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') and pg_has_role(current_user, 'supabase_auth_admin', 'MEMBER')", &[])
            .map(|r| r.get::<_, bool>(0))
            .unwrap_or(false);
        for id in self.owners() {
            let sub = id.sub.as_deref().unwrap_or_default();
            let claims = &id.claims;
            let email = id
                .email
                .clone()
                .unwrap_or_else(|| format!("{}@example.test", id.name));
            let app = claims
                .get("app_metadata")
                .cloned()
                .unwrap_or(Json::Object(Default::default()));
            let user = claims
                .get("user_metadata")
                .cloned()
                .unwrap_or(Json::Object(Default::default()));
            let anonymous = claims
                .get("is_anonymous")
                .and_then(Json::as_bool)
                .unwrap_or(false);
            let role = if as_auth_admin {
                "set local role supabase_auth_admin;"
            } else {
                ""
            };
            let sql = format!(
                "savepoint rlsgate_user; {role}
                 insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                     raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous)
                 values ('00000000-0000-0000-0000-000000000000', {sub}, 'authenticated', {role_claim}, {email}, '', now(),
                     {app}::jsonb, {user}::jsonb, now(), now(), {anonymous});
                 insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at, last_sign_in_at)
                 values ({sub}, {sub}, jsonb_build_object('sub', {sub}, 'email', {email}), 'email', now(), now(), now());
                 reset role; release savepoint rlsgate_user;",
                sub = literal(sub),
                role_claim = literal(&id.role),
                email = literal(&email),
                app = literal(&app.to_string()),
                user = literal(&user.to_string()),
            );
            if let Err(e) = client.batch_execute(&sql) {
                let _ = client.batch_execute("rollback to savepoint rlsgate_user; reset role;");
                let identity = id.name.clone();
                let message = super::describe(&e);
                return Err(if super::cells::is_statement_timeout(&e) {
                    ProbeError::SignupTimedOut { identity, message }
                } else {
                    ProbeError::Signup { identity, message }
                });
            }
        }
        Ok(())
    }

    /// Fills every table that holds rows, parents before children.
    pub fn synthesize_all(&mut self, client: &mut Client) -> Result<(), ProbeError> {
        let paired = paired_targets(self.catalog);
        for idx in topo_order(self.catalog, self.ownership) {
            let rel = &self.catalog.relations[idx];
            if !rel.kind.holds_rows() {
                continue;
            }
            let ownership = self.ownership[idx].clone();
            let mut state = TableState {
                ownership: ownership.clone(),
                rows: Vec::new(),
                error: None,
                repairs: Repairs::default(),
            };
            if rel.table.schema == "auth" && rel.table.name == "users" {
                state.rows = self.adopt(client, rel, &ownership)?;
                self.states.insert(rel.table.clone(), state);
                continue;
            }
            state.rows = self.adopt(client, rel, &ownership)?;
            // a catalog two keys of one row point at (`check (parent_id <> child_id)`) gets two
            let public_rows: usize = if paired.contains(&rel.table) { 2 } else { 1 };
            let wanted: Vec<Option<&Identity>> = if ownership.is_owned() {
                self.owners().map(Some).collect()
            } else {
                vec![None; public_rows.saturating_sub(state.rows.len())]
            };
            for owner in wanted {
                let label = owner
                    .map(|o| o.name.clone())
                    .unwrap_or_else(|| PUBLIC.to_string());
                if owner.is_some() && state.rows.iter().any(|r| r.label == label) {
                    continue;
                }
                match self.insert(
                    client,
                    rel,
                    &RowSpec {
                        owner,
                        fixed: BTreeMap::new(),
                    },
                ) {
                    Ok(mut row) => {
                        row.label = label;
                        state.rows.push(row);
                    }
                    Err(message) => {
                        state.error.get_or_insert(format!(
                            "could not synthesize a row owned by {label}: {message}"
                        ));
                    }
                }
            }
            if !state.rows.is_empty() && !rel.checks.is_empty() {
                self.learn_from_a_trial_row(client, rel, state.rows[0].owner.as_deref());
            }
            if let Some(repairs) = self.learned.remove(&rel.table) {
                state.repairs = repairs;
            }
            self.states.insert(rel.table.clone(), state);
        }
        Ok(())
    }

    /// Rows already there for our identities (made by signup triggers), and for ownerless
    /// tables any rows the migrations seeded.
    fn adopt(
        &self,
        client: &mut Client,
        rel: &Relation,
        ownership: &Ownership,
    ) -> Result<Vec<PlacedRow>, ProbeError> {
        let key = key_expr(rel);
        let table = rel.table.qualified();
        let mut rows = Vec::new();
        // rows matching `filter`, labelled `label` and owned by `owner`
        let mut read = |filter: &str, limit: u32, label: &str, owner: Option<&str>| {
            let sql = format!(
                "select {key}, to_jsonb(t)::text from {table} t where {filter} limit {limit}"
            );
            for r in client
                .query(&sql, &[])
                .map_err(ProbeError::db("reading existing rows"))?
            {
                rows.push(placed(
                    label.to_string(),
                    owner.map(str::to_string),
                    r.get(0),
                    r.get(1),
                ));
            }
            Ok::<_, ProbeError>(())
        };
        match ownership {
            Ownership::Column(col) => {
                for id in self.owners() {
                    let sub = id.sub.as_deref().unwrap_or_default();
                    let filter = format!("t.{}::text = {}", quote_ident(col), literal(sub));
                    read(&filter, 1, &id.name, Some(&id.name))?;
                }
            }
            Ownership::None => read("true", 20, PUBLIC, None)?,
            Ownership::Parent { fk, parent } => {
                // rows a trigger already made under the owner's parent row
                let fk = &rel.foreign_keys[*fk];
                for id in self.owners() {
                    let Some(p) = self.parent_row(parent, Some(id), true) else {
                        continue;
                    };
                    let conditions: Option<Vec<String>> = fk
                        .columns
                        .iter()
                        .zip(&fk.target_columns)
                        .map(|(c, tc)| {
                            let v = match p.json.get(tc)? {
                                Json::String(s) => s.clone(),
                                Json::Null => return None,
                                other => other.to_string(),
                            };
                            Some(format!("t.{}::text = {}", quote_ident(c), literal(&v)))
                        })
                        .collect();
                    let Some(conditions) = conditions else {
                        continue;
                    };
                    read(&conditions.join(" and "), 1, &id.name, Some(&id.name))?;
                }
            }
        }
        Ok(rows)
    }

    /// Inserts one row as the superuser, repairing values from the errors Postgres gives.
    pub fn insert(
        &mut self,
        client: &mut Client,
        rel: &Relation,
        spec: &RowSpec,
    ) -> Result<PlacedRow, String> {
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
        let mut last = String::new();
        'retry: for _ in 0..20 {
            self.seq += 1;
            let values = self.values_with(
                rel,
                spec,
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
            match client.query_one(&sql, &[]) {
                Ok(row) => {
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
                        spec.owner.map(|o| o.name.clone()),
                        row.get(0),
                        row.get(1),
                    ));
                }
                Err(e) => {
                    client
                        .batch_execute("rollback to savepoint rlsgate_row")
                        .map_err(|e| e.to_string())?;
                    last = super::describe(&e);
                    let Some(db) = e.as_db_error() else {
                        return Err(last);
                    };
                    match db.code().code() {
                        "23514" => {
                            let check = rel
                                .checks
                                .iter()
                                .find(|c| Some(c.name.as_str()) == db.constraint());
                            let Some(check) = check else { return Err(last) };
                            let fk_cols: Vec<&String> = check
                                .columns
                                .iter()
                                .filter(|c| {
                                    rel.foreign_keys.iter().any(|fk| fk.columns.contains(c))
                                })
                                .collect();
                            if fk_cols.len() >= 2 {
                                let owner_col = match self.ownership_of(&rel.table) {
                                    Ownership::Column(c) => Some(c.clone()),
                                    _ => None,
                                };
                                if let Some(c) = fk_cols.iter().find(|c| {
                                    Some(**c) != owner_col.as_ref() && !other_party.contains(**c)
                                }) {
                                    other_party.insert((*c).clone());
                                    continue;
                                }
                            }
                            let owner_cols: Vec<String> = match self.ownership_of(&rel.table) {
                                Ownership::Column(c) => vec![c.clone()],
                                Ownership::Parent { fk, .. } => {
                                    rel.foreign_keys[*fk].columns.clone()
                                }
                                Ownership::None => Vec::new(),
                            };
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
                                let owner_col = match self.ownership_of(&rel.table) {
                                    Ownership::Column(c) => Some(c.clone()),
                                    _ => None,
                                };
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
                            _ => return Err(last),
                        },
                        "23505" => {
                            let key = unique_columns(db.detail().unwrap_or_default());
                            if spec.fixed.is_empty() {
                                if let Some(row) = self.adopt_conflict(client, rel, &values, &key) {
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
                                        owner: spec.owner.map(|o| o.name.clone()),
                                        ..row
                                    });
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
                        _ => return Err(last),
                    }
                }
            }
        }
        Err(last)
    }

    /// Rows adopted from triggers or seeds taught nothing about the table's CHECKs: insert one
    /// more and roll it back, so probe rows start from values that pass them.
    fn learn_from_a_trial_row(&mut self, client: &mut Client, rel: &Relation, owner: Option<&str>) {
        if self.learned.contains_key(&rel.table)
            || client.batch_execute("savepoint rlsgate_trial").is_err()
        {
            return;
        }
        let identities = self.identities;
        let owner = owner.and_then(|name| identities.iter().find(|i| i.name == name));
        let _ = self.insert(
            client,
            rel,
            &RowSpec {
                owner,
                fixed: BTreeMap::new(),
            },
        );
        let _ = client.batch_execute("rollback to savepoint rlsgate_trial");
    }

    /// The row already holding a unique key the new row collides with, when it is the row
    /// we wanted: same owner (owner column or owning parent) and the same key values, e.g. a
    /// row a trigger seeded for every combination.
    fn adopt_conflict(
        &self,
        client: &mut Client,
        rel: &Relation,
        values: &BTreeMap<String, String>,
        key: &[String],
    ) -> Option<PlacedRow> {
        let owner_columns: Vec<&String> = match self.ownership_of(&rel.table) {
            Ownership::Column(c) => vec![c],
            Ownership::Parent { fk, .. } => rel.foreign_keys[*fk].columns.iter().collect(),
            Ownership::None => Vec::new(),
        }
        .into_iter()
        .filter(|c| !key.contains(c))
        .collect();
        let condition = |c: &String| Some(format!("t.{} = {}", quote_ident(c), values.get(c)?));
        let same_key: Vec<String> = key.iter().map(condition).collect::<Option<_>>()?;
        if same_key.is_empty() {
            return None;
        }
        let same_owner: Vec<String> = owner_columns
            .iter()
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
                return Some(placed(String::new(), None, row.get(0), row.get(1)));
            }
        }
        None
    }

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
    fn values_with(
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
        let ownership = self.ownership_of(&rel.table);
        if let Ownership::Column(col) = ownership {
            if !values.contains_key(col) {
                if let Some(sub) = spec.owner.and_then(|o| o.sub.as_deref()) {
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
        for (k, fk) in rel.foreign_keys.iter().enumerate() {
            if fk
                .columns
                .iter()
                .any(|c| values.contains_key(c) || nulled.contains(c))
                || fk.target == rel.table
            {
                continue;
            }
            let is_owner_fk = matches!(ownership, Ownership::Parent { fk: f, .. } if *f == k);
            let required = fk
                .columns
                .iter()
                .any(|c| rel.column(c).is_some_and(|c| c.not_null));
            let other = fk.columns.iter().any(|c| other_party.contains(c));
            let parent = if other {
                let someone_else = self
                    .owners()
                    .find(|o| spec.owner.map(|s| s.name != o.name).unwrap_or(true));
                // with nobody else's row there (a shared catalog), any other row will do
                let usual = self
                    .parent_row(&fk.target, spec.owner, false)
                    .map(|r| r.key.as_str());
                self.parent_row(&fk.target, someone_else, true).or_else(|| {
                    self.states
                        .get(&fk.target)?
                        .rows
                        .iter()
                        .find(|r| Some(r.key.as_str()) != usual)
                })
            } else {
                self.parent_row(&fk.target, spec.owner, is_owner_fk)
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
            // policies check it: `(storage.foldername(name))[1] = auth.uid()::text`.
            let folder = spec
                .owner
                .and_then(|o| o.sub.as_deref())
                .unwrap_or("public");
            values.insert(
                "name".to_string(),
                format!("{}::text", literal(&format!("{folder}/object-{seq}.txt"))),
            );
        }
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

    /// A row of `table` to reference: the owner's own when there is one, else a public
    /// row, else (unless ownership must follow) anyone's.
    fn parent_row(
        &self,
        table: &TableRef,
        owner: Option<&Identity>,
        must_match: bool,
    ) -> Option<&PlacedRow> {
        let state = self.states.get(table)?;
        if let Some(o) = owner {
            if let Some(r) = state
                .rows
                .iter()
                .find(|r| r.owner.as_deref() == Some(o.name.as_str()))
            {
                return Some(r);
            }
        }
        if must_match && owner.is_some() {
            return None;
        }
        state.rows.iter().find(|r| r.owner.is_none()).or_else(|| {
            if must_match {
                None
            } else {
                state.rows.first()
            }
        })
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
                fixed.insert(col.clone(), format!("{}::{ty}", json_literal(value)));
            }
            let row = self
                .insert(client, rel, &RowSpec { owner, fixed })
                .map_err(|message| ProbeError::Fixture {
                    label: f.label.clone(),
                    message,
                })?;
            let state = self
                .states
                .entry(f.table.clone())
                .or_insert_with(|| TableState {
                    ownership: Ownership::None,
                    rows: Vec::new(),
                    error: None,
                    repairs: Repairs::default(),
                });
            state.rows.push(PlacedRow {
                label: f.label.clone(),
                ..row
            });
        }
        Ok(())
    }
}

/// Tables that one relation references through two different foreign keys.
fn paired_targets(catalog: &Catalog) -> HashSet<TableRef> {
    let mut out = HashSet::new();
    for rel in &catalog.relations {
        let mut seen = HashSet::new();
        for fk in &rel.foreign_keys {
            if !seen.insert(&fk.target) {
                out.insert(fk.target.clone());
            }
        }
    }
    out
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

fn placed(label: String, owner: Option<String>, key: String, json: String) -> PlacedRow {
    let json = match serde_json::from_str(&json) {
        Ok(Json::Object(m)) => m,
        _ => Default::default(),
    };
    PlacedRow {
        label,
        owner,
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

/// Relations ordered so every table comes after the tables its foreign keys reference
/// (self references and cycles are broken where they occur). In a cycle, the nullable
/// foreign key that does not carry ownership gives way: `a.b_id` (nullable) -> `b`, `b.a_id`
/// (not null) -> `a` puts `a` first, so `b` can reference it.
fn topo_order(catalog: &Catalog, ownership: &[Ownership]) -> Vec<usize> {
    let n = catalog.relations.len();
    let index = |t: &TableRef| catalog.relations.iter().position(|r| &r.table == t);
    let edges: Vec<Vec<(usize, bool)>> = catalog
        .relations
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            let mut out: Vec<(usize, bool)> = rel
                .foreign_keys
                .iter()
                .enumerate()
                .filter_map(|(k, fk)| {
                    let j = index(&fk.target)?;
                    // a row owned through its parent needs that parent first, nullable or not
                    let owning =
                        matches!(ownership.get(i), Some(Ownership::Parent { fk, .. }) if *fk == k);
                    let required = owning
                        || fk
                            .columns
                            .iter()
                            .any(|c| rel.column(c).is_some_and(|c| c.not_null));
                    (j != i).then_some((j, required))
                })
                .collect();
            out.sort_by_key(|&(_, required)| !required);
            out
        })
        .collect();
    let requires = |from: usize, to: usize| {
        let mut seen = vec![false; n];
        let mut stack = vec![from];
        while let Some(k) = stack.pop() {
            if k == to {
                return true;
            }
            if std::mem::replace(&mut seen[k], true) {
                continue;
            }
            stack.extend(edges[k].iter().filter(|e| e.1).map(|e| e.0));
        }
        false
    };
    let mut state = vec![0u8; n];
    let mut out = Vec::with_capacity(n);
    fn visit(
        i: usize,
        edges: &[Vec<(usize, bool)>],
        requires: &dyn Fn(usize, usize) -> bool,
        state: &mut [u8],
        out: &mut Vec<usize>,
    ) {
        if state[i] != 0 {
            return;
        }
        state[i] = 1;
        for &(j, required) in &edges[i] {
            if !required && requires(j, i) {
                continue;
            }
            visit(j, edges, requires, state, out);
        }
        state[i] = 2;
        out.push(i);
    }
    for i in 0..n {
        visit(i, &edges, &requires, &mut state, &mut out);
    }
    out
}
