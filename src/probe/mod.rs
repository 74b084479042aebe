//! The access matrix as the database really enforces it: identities, synthesized rows,
//! and one probe per table x identity x command (several statements each), on parallel
//! connections.

pub mod calls;
pub mod catalog;
pub mod ceiling;
pub mod cells;
pub mod functions;
pub mod ownership;
pub mod provenance;
pub mod rows;
pub mod values;

mod connection;
mod error;
mod observe;

use connection::execute_plans;
pub use connection::ProbeConnection;
pub use error::{describe, ProbeError};
use observe::{observe, shown_rows, view_rows};

use std::collections::{HashMap, HashSet};

use postgres::Client;

use crate::matrix::{Observation, TableRef, TableRows};
use crate::migrate::Database;
use crate::spec::identities::TenantRole;
use crate::spec::{FixtureRow, Identity, Specs};
use catalog::{Catalog, Relation};
use cells::{Plan, ProbeResult};
use rows::Synthesizer;

pub struct ProbeOptions<'a> {
    pub schemas: &'a [String],
    pub identities: &'a [Identity],
    pub fixtures: &'a [FixtureRow],
    /// The specs' `owner`, `tenant` and `[tenancy]` declarations shape the row model.
    pub specs: &'a Specs,
    /// Only these tables (`name` or `schema.name`); empty = all.
    pub tables: &'a [String],
    /// Only these identities; empty = all.
    pub only_identities: &'a [String],
    /// `Some((k, n))`: only share `k` of `n` (1-based) of the selected relations, dealt
    /// round-robin in name order, so `n` runs together cover every cell exactly once.
    pub partition: Option<(usize, usize)>,
    pub jobs: usize,
}

/// The observed matrix.
pub struct Matrix {
    pub relations: Vec<TableRef>,
    pub rows: Vec<TableRows>,
    pub observations: Vec<Observation>,
    /// The identities probed, with the tenants each really belongs to.
    pub identities: Vec<Identity>,
    /// The tenant model, described for people (`rlsgate test` prints it).
    pub tenancy: Option<String>,
    /// An inferred tenant model as a `[tenancy]` section (`rlsgate snapshot` writes it).
    pub inferred_tenancy: Option<String>,
}

/// The relations probing would cover, read without touching any data.
pub fn load_catalog(client: &mut Client, schemas: &[String]) -> Result<Catalog, ProbeError> {
    Catalog::load(client, schemas).map_err(ProbeError::db("reading the catalog"))
}

pub fn run(db: &mut Database, opts: &ProbeOptions) -> Result<Matrix, ProbeError> {
    let prepared = prepare(db, opts, None)?;
    let observations = observe_all(
        db,
        &prepared,
        &Execution {
            only_identities: opts.only_identities,
            jobs: opts.jobs,
            extra_sql: None,
        },
    )?;
    Ok(prepared.into_matrix(observations))
}

/// The database after setup: identities' users, synthesized and pinned rows, the catalog
/// and ownership. Probing can then run as often as needed against it (mutation testing,
/// provenance), each time in transactions that are rolled back.
pub struct Prepared {
    pub catalog: Catalog,
    pub model: ownership::Model,
    /// The synthesized tenant members (no probe runs as them).
    pub fillers: Vec<Identity>,
    pub states: HashMap<TableRef, rows::TableState>,
    /// (relation, role) -> the columns that role may UPDATE.
    pub updatable: HashMap<(TableRef, String), Vec<String>>,
    pub identities: Vec<Identity>,
    /// The relations probed, with their labelled rows.
    pub rows: Vec<TableRows>,
    /// Tables whose rows a trigger refused and that were placed with triggers off, with the
    /// trigger's message.
    pub untriggered: std::collections::BTreeMap<TableRef, String>,
}

impl Prepared {
    pub fn into_matrix(self, observations: Vec<Observation>) -> Matrix {
        let tenancy = self
            .model
            .tenancy
            .as_ref()
            .map(|t| t.describe(&self.catalog));
        let inferred_tenancy = self
            .model
            .tenancy
            .as_ref()
            .filter(|t| t.inferred)
            .and_then(|t| t.declaration(&self.catalog));
        Matrix {
            inferred_tenancy,
            relations: self.rows.iter().map(|r| r.table.clone()).collect(),
            rows: self.rows,
            observations,
            identities: self.identities,
            tenancy,
        }
    }
}

impl Prepared {
    /// A synthesizer that knows the rows already placed (and the repairs they needed), to
    /// build probe rows like them.
    pub fn synthesizer<'a>(&'a self, identities: &'a [Identity]) -> Synthesizer<'a> {
        let mut synth = Synthesizer::new(&self.catalog, &self.model, identities, &self.fillers);
        synth.states = self.states.clone();
        synth
    }
}

/// How one pass of probes runs.
pub struct Execution<'a> {
    pub only_identities: &'a [String],
    pub jobs: usize,
    /// SQL run first in every probe transaction (as the superuser), e.g. a mutation of a
    /// policy; it is rolled back with the probes.
    pub extra_sql: Option<&'a str>,
}

/// Places the identities' users and the rows, and plans what to probe. `catalog`, when the
/// caller already read it, saves reading it again.
pub fn prepare(
    db: &mut Database,
    opts: &ProbeOptions,
    catalog: Option<Catalog>,
) -> Result<Prepared, ProbeError> {
    let external = db.is_external();
    let client = db.client();
    if !external {
        client
            .batch_execute("begin")
            .map_err(ProbeError::db("opening the setup transaction"))?;
        // a deferred constraint trigger refusing a synthesized row does it at that row's
        // insert, where the row is repaired, not at the commit of the whole setup
        client
            .batch_execute("set constraints all immediate")
            .map_err(ProbeError::db("opening the setup transaction"))?;
    }
    let t = std::time::Instant::now();
    let catalog = match catalog {
        Some(catalog) => catalog,
        None => load_catalog(client, opts.schemas)?,
    };
    crate::terminal::timing("catalog", t);
    let mut model = ownership::infer(&catalog, opts.specs, opts.identities, &mut || {
        ownership::tenant::usage_text(client)
    });
    let fillers = model
        .tenancy
        .as_ref()
        .map(|t| t.fillers())
        .unwrap_or_default();
    let mut synth = Synthesizer::new(&catalog, &model, opts.identities, &fillers);
    let t = std::time::Instant::now();
    synth.create_users(client)?;
    crate::terminal::timing("users", t);
    let t = std::time::Instant::now();
    synth.synthesize_all(client)?;
    crate::terminal::timing("rows", t);
    synth.place_fixtures(client, opts.fixtures)?;
    run_identity_setup(client, opts.identities)?;
    refresh_materialized_views(client, &catalog)?;
    if !external {
        client
            .batch_execute("commit")
            .map_err(ProbeError::db("committing the setup"))?;
    }
    let states = std::mem::take(&mut synth.states);
    let signup_metadata = std::mem::take(&mut synth.signup_metadata);
    let untriggered = std::mem::take(&mut synth.untriggered);
    let mut identities = with_memberships(&mut model, &states, opts.identities);
    with_user_metadata(&mut identities, &signup_metadata);

    let selected: Vec<&Relation> = catalog
        .exposed()
        .filter(|r| table_selected(&r.table, opts.tables))
        .collect();
    let share = opts
        .partition
        .map(|(k, n)| partition_share(&selected, k, n));
    let mut table_rows = Vec::new();
    for rel in selected
        .into_iter()
        .filter(|r| share.as_ref().is_none_or(|s| s.contains(&r.table)))
    {
        let labels = if rel.kind.holds_rows() {
            states
                .get(&rel.table)
                .map(|s| {
                    s.rows
                        .iter()
                        .map(|r| (r.label.clone(), r.facts.clone()))
                        .collect()
                })
                .unwrap_or_default()
        } else if let Some(base) = rel.base.as_ref().and_then(|b| states.get(b)) {
            shown_rows(client, rel, base)?
        } else {
            view_rows(client, rel, opts.identities)?
        };
        let row_model = model.of(&catalog, rel.row_source());
        table_rows.push(TableRows {
            table: rel.table.clone(),
            labels,
            owned: row_model.is_owned(),
            parties: model.parties(&catalog, rel.row_source()),
            tenant_scoped: row_model.is_tenant_scoped(),
        });
    }
    let updatable = updatable_columns(client, &catalog, opts.identities)?;
    Ok(Prepared {
        catalog,
        model,
        fillers,
        states,
        updatable,
        identities,
        rows: table_rows,
        untriggered,
    })
}

/// One pass of every probe over the prepared database.
pub fn observe_all(
    db: &mut Database,
    prepared: &Prepared,
    exec: &Execution,
) -> Result<Vec<Observation>, ProbeError> {
    let (synth, plans) = build_plans(prepared, exec.only_identities, &[]);
    let t = std::time::Instant::now();
    let results = execute_plans(db, &plans, exec)?;
    crate::terminal::timing("probes", t);
    Ok(assemble(&synth, &plans, results, prepared))
}

fn build_plans<'p>(
    prepared: &'p Prepared,
    only_identities: &[String],
    tables: &[TableRef],
) -> (Synthesizer<'p>, Vec<Plan<'p>>) {
    let synth = prepared.synthesizer(&prepared.identities);
    let identities: Vec<&Identity> = prepared
        .identities
        .iter()
        .filter(|i| only_identities.is_empty() || only_identities.contains(&i.name))
        .collect();
    let owners: Vec<&Identity> = prepared
        .identities
        .iter()
        .filter(|i| i.owns_rows())
        .collect();
    let mut seq = 0;
    let mut plans: Vec<Plan> = Vec::new();
    let selected: Vec<&TableRef> = if tables.is_empty() {
        prepared.rows.iter().map(|r| &r.table).collect()
    } else {
        tables
            .iter()
            .filter(|t| prepared.rows.iter().any(|r| &r.table == *t))
            .collect()
    };
    for table in selected {
        let Some(rel) = prepared.catalog.get(table) else {
            continue;
        };
        for id in &identities {
            plans.push(cells::plan(
                &synth,
                rel,
                synth.states.get(rel.row_source()),
                id,
                &owners,
                prepared
                    .updatable
                    .get(&(rel.table.clone(), id.role.clone()))
                    .map_or(&[][..], |c| &c[..]),
                &mut seq,
            ));
        }
    }
    (synth, plans)
}

fn assemble(
    synth: &Synthesizer,
    plans: &[Plan],
    results: Vec<Vec<ProbeResult>>,
    prepared: &Prepared,
) -> Vec<Observation> {
    let mut observations = Vec::new();
    for (plan, results) in plans.iter().zip(results) {
        let state = synth.states.get(plan.rel.row_source());
        observations.extend(observe(plan, &results, state, &prepared.identities));
    }
    observations
}

/// The identities with the tenants they really belong to, read from the rows placed in the
/// membership table (triggers may add memberships of their own); the tenant model's members
/// are brought in line, so probes aim where the verdict looks.
fn with_memberships(
    model: &mut ownership::Model,
    states: &HashMap<TableRef, rows::TableState>,
    identities: &[Identity],
) -> Vec<Identity> {
    let mut identities = identities.to_vec();
    let Some(tenancy) = model.tenancy.as_mut() else {
        return identities;
    };
    let rows = states
        .get(&tenancy.membership.table)
        .map(|s| &s.rows[..])
        .unwrap_or_default();
    let mut tenants: Vec<ownership::Tenant> = tenancy
        .tenants
        .iter()
        .map(|t| ownership::Tenant {
            name: t.name.clone(),
            members: Vec::new(),
        })
        .collect();
    for row in rows {
        let (Some(member), Some(tenant)) = (row.owner(), row.facts.tenant.as_deref()) else {
            continue;
        };
        let role = tenancy
            .membership
            .role
            .as_ref()
            .and_then(|c| row.json.get(c))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let i = match tenants.iter().position(|t| t.name == tenant) {
            Some(i) => i,
            None => {
                tenants.push(ownership::Tenant {
                    name: tenant.to_string(),
                    members: Vec::new(),
                });
                tenants.len() - 1
            }
        };
        tenants[i].members.push(ownership::Member {
            name: member.to_string(),
            role: role.clone(),
        });
        if let Some(id) = identities.iter_mut().find(|i| i.name == member) {
            id.tenants.push(TenantRole {
                tenant: tenant.to_string(),
                role,
            });
        }
    }
    tenancy.tenants = tenants;
    identities
}

/// The user metadata synthesized for signups is in the users' tokens too, as Supabase Auth
/// copies `raw_user_meta_data` into the `user_metadata` claim.
fn with_user_metadata(
    identities: &mut [Identity],
    metadata: &serde_json::Map<String, serde_json::Value>,
) {
    if metadata.is_empty() {
        return;
    }
    for id in identities.iter_mut().filter(|i| i.owns_rows()) {
        let Some(claims) = id.claims.as_object_mut() else {
            continue;
        };
        let user = claims
            .entry("user_metadata")
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if let Some(user) = user.as_object_mut() {
            for (k, v) in metadata {
                user.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

/// Column-level UPDATE privileges of every identity's role on every exposed relation.
fn updatable_columns(
    client: &mut Client,
    catalog: &Catalog,
    identities: &[Identity],
) -> Result<HashMap<(TableRef, String), Vec<String>>, ProbeError> {
    let oids: Vec<u32> = catalog.exposed().map(|r| r.oid).collect();
    let mut roles: Vec<&str> = identities.iter().map(|i| i.role.as_str()).collect();
    roles.sort_unstable();
    roles.dedup();
    let mut out: HashMap<(TableRef, String), Vec<String>> = HashMap::new();
    for role in roles {
        let rows = client
            .query(
                "select n.nspname::text, c.relname::text, a.attname::text
                 from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
                 where a.attrelid = any($1) and a.attnum > 0 and not a.attisdropped
                   and exists (select 1 from pg_roles where rolname = $2)
                   and has_column_privilege($2, a.attrelid, a.attnum, 'UPDATE')
                 order by a.attrelid, a.attnum",
                &[&oids, &role],
            )
            .map_err(ProbeError::db("reading column privileges"))?;
        for r in rows {
            out.entry((
                TableRef::new(r.get::<_, String>(0), r.get::<_, String>(1)),
                role.to_string(),
            ))
            .or_default()
            .push(r.get(2));
        }
    }
    Ok(out)
}

/// Share `k` of `n`: the relations at positions k-1, k-1+n, ... in name order.
fn partition_share(relations: &[&Relation], k: usize, n: usize) -> HashSet<TableRef> {
    let mut names: Vec<&TableRef> = relations.iter().map(|r| &r.table).collect();
    names.sort();
    names
        .into_iter()
        .skip(k.saturating_sub(1))
        .step_by(n.max(1))
        .cloned()
        .collect()
}

/// `table` passes a `--table` filter (`name` or `schema.name`; empty = every table).
pub fn table_selected(table: &TableRef, filter: &[String]) -> bool {
    filter.is_empty()
        || filter
            .iter()
            .any(|f| *f == table.name || *f == table.to_string() || *f == table.display_name())
}

fn run_identity_setup(client: &mut Client, identities: &[Identity]) -> Result<(), ProbeError> {
    for id in identities {
        for sql in &id.setup {
            client.batch_execute(sql).map_err(|e| ProbeError::Setup {
                identity: id.name.clone(),
                message: describe(&e),
            })?;
        }
    }
    Ok(())
}

/// Materialized views hold what they held at migration time (nothing): refreshed once the
/// rows are placed, they show what a scheduled refresh would.
fn refresh_materialized_views(client: &mut Client, catalog: &Catalog) -> Result<(), ProbeError> {
    for rel in catalog
        .relations
        .iter()
        .filter(|r| r.kind == catalog::RelKind::MaterializedView)
    {
        let sql = format!(
            "savepoint rlsgate_refresh; refresh materialized view {}; release savepoint rlsgate_refresh",
            rel.table.qualified()
        );
        if client.batch_execute(&sql).is_err() {
            client
                .batch_execute("rollback to savepoint rlsgate_refresh")
                .map_err(ProbeError::db("refreshing a materialized view"))?;
        }
    }
    Ok(())
}
