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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use postgres::Client;

use crate::matrix::{
    insert_target, shape, Command, Observation, Outcome, Probe, RowFacts, TableRef, TableRows,
};
use crate::migrate::Database;
use crate::spec::identities::TenantRole;
use crate::spec::{FixtureRow, Identity, Specs};
use catalog::{Catalog, Relation};
use cells::{Plan, ProbeResult};
use rows::{PlacedRow, Synthesizer, PUBLIC};

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{context}: {message}")]
    Db { context: String, message: String },
    /// `hint` says what to do, after the cause: the trigger's rights, or the user metadata
    /// the trigger's row needs.
    #[error("creating the auth.users row of identity `{identity}` failed: {message}\n{hint}")]
    Signup {
        identity: String,
        message: String,
        hint: String,
    },
    #[error(
        "creating the auth.users row of identity `{identity}` did not finish: {message}\n\
         A trigger on auth.users sleeps or loops. Raise the limit with --migration-timeout or \
         `[timeouts] migration` in rlsgate.toml (0 for none), or make the trigger finish."
    )]
    SignupTimedOut { identity: String, message: String },
    #[error("fixture `{label}`: {message}")]
    Fixture { label: String, message: String },
    #[error("setup SQL of identity `{identity}` failed: {message}")]
    Setup { identity: String, message: String },
    #[error(transparent)]
    Interrupted(crate::interrupt::Interrupted),
}

impl ProbeError {
    fn db(context: &'static str) -> impl Fn(postgres::Error) -> ProbeError {
        move |e| ProbeError::Db {
            context: context.to_string(),
            message: describe(&e),
        }
    }
}

/// A Postgres error as one line: message, detail and hint.
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!(" hint: {h}"));
            }
            s
        }
        None => e.to_string(),
    }
}

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

/// A connection to our own cluster, ready for probe passes that the caller schedules itself:
/// mutation testing runs different mutants on different connections, each in its own
/// transaction, instead of spreading one pass over all of them.
pub struct ProbeConnection {
    client: Client,
}

impl ProbeConnection {
    /// `None` for a `--db-url` database, where everything runs on its one connection.
    pub fn open(db: &Database) -> Result<Option<ProbeConnection>, ProbeError> {
        let Some(client) = db.extra_connection() else {
            return Ok(None);
        };
        let mut client = client.map_err(ProbeError::db("opening a probe connection"))?;
        prepare_connection(&mut client, db.probe_timeout)?;
        Ok(Some(ProbeConnection { client }))
    }

    /// One pass on this connection over `tables` (in that order; every probed relation when
    /// empty), keeping the probes `probes` accepts (by relation and command), in one
    /// transaction that is rolled back: `exec.extra_sql` first, then the probes. After each table x identity, `stop` sees the observations so far and may end
    /// the pass early. `None` when the pass lost a lock race (a deadlock) with another
    /// connection: it was rolled back, releasing what its extra SQL locked, and the caller
    /// decides when to run it again (alone, it cannot lose).
    pub fn try_observe(
        &mut self,
        prepared: &Prepared,
        tables: &[TableRef],
        probes: &dyn Fn(&TableRef, Command) -> bool,
        exec: &Execution,
        stop: &mut dyn FnMut(&[Observation]) -> bool,
    ) -> Result<Option<Vec<Observation>>, ProbeError> {
        let (synth, mut plans) = build_plans(prepared, exec.only_identities, tables);
        for plan in &mut plans {
            let table = &plan.rel.table;
            plan.probes.retain(|p| probes(table, p.command));
        }
        plans.retain(|p| !p.probes.is_empty());
        let client = &mut self.client;
        client
            .batch_execute("begin")
            .map_err(ProbeError::db("opening a probe transaction"))?;
        let observations = (|| {
            if let Some(sql) = exec.extra_sql {
                if let Err(e) = client.batch_execute(sql) {
                    if e.code().is_some_and(|c| is_lock_race(c.code())) {
                        return Ok(None);
                    }
                    return Err(ProbeError::db("applying the extra SQL")(e));
                }
            }
            let mut observations = Vec::new();
            for plan in &plans {
                crate::interrupt::check().map_err(ProbeError::Interrupted)?;
                let r = cells::execute(client, plan).map_err(ProbeError::db("running probes"))?;
                if r.iter().any(|r| r.outcome.is_lock_conflict()) {
                    return Ok(None);
                }
                observations.extend(
                    assemble(&synth, std::slice::from_ref(plan), vec![r], prepared)
                        .into_iter()
                        .filter(|o| probes(&o.table, o.command)),
                );
                if stop(&observations) {
                    break;
                }
            }
            Ok(Some(observations))
        })();
        let rollback = client.batch_execute("rollback");
        let observations = observations?;
        rollback.map_err(ProbeError::db("closing a probe transaction"))?;
        Ok(observations)
    }

    /// The connection itself, for callers that run their own statements in between passes
    /// (the probe function `pg_temp.rlsgate_probe` is installed on it).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}

fn is_lock_race(sqlstate: &str) -> bool {
    matches!(sqlstate, "40P01" | "40001" | "55P03")
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

/// The placed rows of a view's base table that the view shows the superuser, by key, with
/// their labels and facts.
fn shown_rows(
    client: &mut Client,
    rel: &Relation,
    base: &rows::TableState,
) -> Result<BTreeMap<String, RowFacts>, ProbeError> {
    let sql = format!(
        "select coalesce(string_agg({}, E'\\n'), '') from {} t",
        rows::key_expr(rel),
        rel.table.qualified()
    );
    let keys: String = client
        .query_one(&sql, &[])
        .map(|r| r.get(0))
        .unwrap_or_default();
    let keys: HashSet<&str> = keys.lines().collect();
    Ok(base
        .rows
        .iter()
        .filter(|r| keys.contains(r.key.as_str()))
        .map(|r| (r.label.clone(), r.facts.clone()))
        .collect())
}

/// Labels for the rows a view or materialized view shows the superuser: the identity whose
/// user id appears in the row, else `public`.
fn view_rows(
    client: &mut Client,
    rel: &Relation,
    identities: &[Identity],
) -> Result<BTreeMap<String, RowFacts>, ProbeError> {
    let sql = format!(
        "select coalesce(string_agg(to_jsonb(t)::text, E'\\n'), '') from {} t",
        rel.table.qualified()
    );
    let text: String = match client.query_one(&sql, &[]) {
        Ok(row) => row.get(0),
        Err(_) => String::new(),
    };
    Ok(label_json_rows(&text, identities)
        .into_iter()
        .map(|l| {
            (
                l.clone(),
                RowFacts::owned_by(owner_of_label(&l, identities)),
            )
        })
        .collect())
}

fn owner_of_label(label: &str, identities: &[Identity]) -> Option<String> {
    identities
        .iter()
        .find(|i| i.name == label)
        .map(|i| i.name.clone())
}

fn label_json_rows(text: &str, identities: &[Identity]) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            identities
                .iter()
                .filter(|i| i.owns_rows())
                .find(|i| {
                    i.sub
                        .as_deref()
                        .is_some_and(|s| line.contains(&format!("\"{s}\"")))
                })
                .map(|i| i.name.clone())
                .unwrap_or_else(|| PUBLIC.to_string())
        })
        .collect()
}

/// Runs every plan: on parallel connections to our own cluster, or on the one rolled-back
/// transaction of a `--db-url` database.
fn execute_plans(
    db: &mut Database,
    plans: &[Plan],
    exec: &Execution,
) -> Result<Vec<Vec<ProbeResult>>, ProbeError> {
    let slots: Vec<Mutex<Option<Vec<ProbeResult>>>> =
        plans.iter().map(|_| Mutex::new(None)).collect();
    if db.is_external() {
        let timeout = db.probe_timeout;
        let client = db.client();
        prepare_connection(client, timeout)?;
        client
            .batch_execute("savepoint rlsgate_pass")
            .map_err(ProbeError::db("opening a probe pass"))?;
        if let Some(sql) = exec.extra_sql {
            client
                .batch_execute(sql)
                .map_err(ProbeError::db("applying the extra SQL"))?;
        }
        for (i, plan) in plans.iter().enumerate() {
            crate::interrupt::check().map_err(ProbeError::Interrupted)?;
            let r = cells::execute(client, plan).map_err(ProbeError::db("running probes"))?;
            *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
        }
        client
            .batch_execute("rollback to savepoint rlsgate_pass")
            .map_err(ProbeError::db("closing a probe pass"))?;
    } else {
        let jobs = exec.jobs.clamp(1, plans.len().max(1));
        // Each worker opens its own connection, so the connections are set up in parallel.
        let config = db.extra_config().expect("own cluster");
        let open = || -> Result<Client, ProbeError> {
            let mut c = config
                .connect(postgres::NoTls)
                .map_err(ProbeError::db("opening a probe connection"))?;
            prepare_connection(&mut c, db.probe_timeout)?;
            c.batch_execute("begin")
                .map_err(ProbeError::db("opening a probe transaction"))?;
            if let Some(sql) = exec.extra_sql {
                c.batch_execute(sql)
                    .map_err(ProbeError::db("applying the extra SQL"))?;
            }
            Ok(c)
        };
        // One table per work unit: probes of one table never wait on each other.
        let mut units: Vec<Vec<usize>> = Vec::new();
        for (i, plan) in plans.iter().enumerate() {
            match units.last_mut() {
                Some(u) if plans[u[0]].rel.table == plan.rel.table => u.push(i),
                _ => units.push(vec![i]),
            }
        }
        // Largest first, so the connections finish together rather than one waiting on the
        // last big table.
        units.sort_by_key(|u| {
            std::cmp::Reverse(u.iter().map(|&i| plans[i].probes.len()).sum::<usize>())
        });
        let next = AtomicUsize::new(0);
        let failure: Mutex<Option<ProbeError>> = Mutex::new(None);
        let mut survivors: Vec<Client> = Vec::new();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..jobs)
                .map(|_| {
                    let (next, slots, failure, units, open) =
                        (&next, &slots, &failure, &units, &open);
                    scope.spawn(move || {
                        let mut client = match open() {
                            Ok(c) => c,
                            Err(e) => {
                                failure
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .get_or_insert(e);
                                next.store(units.len(), Ordering::Relaxed);
                                return None;
                            }
                        };
                        loop {
                            let u = next.fetch_add(1, Ordering::Relaxed);
                            if u >= units.len() {
                                break;
                            }
                            if let Err(stop) = crate::interrupt::check() {
                                failure
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .get_or_insert(ProbeError::Interrupted(stop));
                                next.store(units.len(), Ordering::Relaxed);
                                break;
                            }
                            for &i in &units[u] {
                                match cells::execute(&mut client, &plans[i]) {
                                    Ok(r) => {
                                        *slots[i].lock().unwrap_or_else(|p| p.into_inner()) =
                                            Some(r)
                                    }
                                    Err(e) => {
                                        failure
                                            .lock()
                                            .unwrap_or_else(|p| p.into_inner())
                                            .get_or_insert(ProbeError::db("running probes")(e));
                                        next.store(units.len(), Ordering::Relaxed);
                                    }
                                }
                            }
                        }
                        Some(client)
                    })
                })
                .collect();
            survivors = handles
                .into_iter()
                .filter_map(|h| h.join().ok().flatten())
                .collect();
        });
        if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        // Probes that lost a lock race to a probe on another connection are re-run alone.
        if let Some(client) = survivors.first_mut() {
            for (i, plan) in plans.iter().enumerate() {
                let mut slot = slots[i].lock().unwrap_or_else(|p| p.into_inner());
                if slot
                    .as_ref()
                    .is_some_and(|r| r.iter().any(|r| r.outcome.is_lock_conflict()))
                {
                    *slot = Some(
                        cells::execute(client, plan)
                            .map_err(ProbeError::db("re-running probes"))?,
                    );
                }
            }
        }
        for mut client in survivors {
            let _ = client.batch_execute("rollback");
        }
    }
    Ok(slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_default()
        })
        .collect())
}

fn prepare_connection(
    client: &mut Client,
    timeout: Option<std::time::Duration>,
) -> Result<(), ProbeError> {
    client
        .batch_execute(&format!(
            "set statement_timeout = {}; set client_min_messages = error;",
            crate::timeouts::as_setting(timeout)
        ))
        .and_then(|_| {
            client.batch_execute(
                "do $$ begin if (select rolsuper from pg_roles where rolname = current_user) \
                 then set deadlock_timeout = '20ms'; end if; end $$",
            )
        })
        .and_then(|_| client.batch_execute(cells::PROBE_FUNCTION))
        .map_err(ProbeError::db("installing the probe function"))
}

/// Turns a plan's probe results into one observation per command.
fn observe(
    plan: &Plan,
    results: &[ProbeResult],
    state: Option<&rows::TableState>,
    identities: &[Identity],
) -> Vec<Observation> {
    let rel = plan.rel;
    let rows = state.map(|s| &s.rows[..]);
    let setup_error = state.and_then(|s| s.error.as_deref());
    let tenant_scoped = state.is_some_and(|s| s.model.tenant_fk().is_some());
    let key_rows: HashMap<&str, &PlacedRow> = rows
        .unwrap_or_default()
        .iter()
        .map(|r| (r.key.as_str(), r))
        .collect();
    let key_labels: HashMap<&str, &str> = rows
        .unwrap_or_default()
        .iter()
        .map(|r| (r.key.as_str(), r.label.as_str()))
        .collect();
    let mut out = Vec::new();
    for command in Command::ALL {
        let mut obs = Observation {
            table: rel.table.clone(),
            identity: plan.identity.name.clone(),
            command,
            reached: BTreeSet::new(),
            inserted: BTreeSet::new(),
            transfer: false,
            probes: Vec::new(),
            shapes: Vec::new(),
        };
        for (p, r) in plan
            .probes
            .iter()
            .zip(results)
            .filter(|(p, r)| p.command == command && !r.covered)
        {
            if shape::is_shape(&p.target) {
                obs.shapes.push(Probe {
                    target: p.target.clone(),
                    outcome: r.outcome.clone(),
                });
                continue;
            }
            let allowed = r.outcome.is_allowed();
            match (command, p.target.as_str()) {
                (Command::Select, _) if rel.kind.holds_rows() || rel.base.is_some() => {
                    obs.reached = r
                        .payload
                        .lines()
                        .filter_map(|k| key_labels.get(k))
                        .map(|l| l.to_string())
                        .collect();
                }
                (Command::Select, _) => obs.reached = label_json_rows(&r.payload, identities),
                (Command::Insert, insert_target::FORGED) => {
                    // accepted only if a row naming the other user really appeared
                    let appeared = r
                        .payload
                        .split_once('\u{1e}')
                        .is_some_and(|(before, after)| {
                            after.trim().parse::<i64>().unwrap_or(0)
                                > before.trim().parse::<i64>().unwrap_or(0)
                        });
                    if allowed && appeared {
                        obs.inserted.insert(insert_target::FORGED.to_string());
                    }
                }
                (Command::Insert, insert_target::OWN_COPY) if allowed => {
                    obs.inserted.insert(insert_target::OWN.to_string());
                    obs.inserted.insert(insert_target::OWN_COPY.to_string());
                }
                (Command::Insert, target) if allowed => {
                    obs.inserted.insert(target.to_string());
                }
                (Command::Insert, _) => {}
                (Command::Update, cells::TRANSFER) => obs.transfer |= allowed,
                (_, cells::UNFILTERED) | (_, cells::TRANSFER_UNFILTERED) => {
                    let changed = if allowed {
                        cells::changes(&r.payload)
                    } else {
                        None
                    };
                    for key in changed
                        .iter()
                        .flat_map(|c| c.touched.iter().chain(&c.reowned))
                    {
                        if let Some(row) = key_rows.get(key.as_str()) {
                            obs.reached.insert(row.label.clone());
                        }
                    }
                    let mine = |key: &String| {
                        key_rows.get(key.as_str()).is_some_and(|r| {
                            if tenant_scoped {
                                r.facts
                                    .tenant
                                    .as_deref()
                                    .is_some_and(|t| plan.identity.belongs_to(t))
                            } else {
                                r.is_owned_by(&plan.identity.name)
                            }
                        })
                    };
                    if p.target == cells::TRANSFER_UNFILTERED
                        && changed.is_some_and(|c| c.reowned.iter().any(mine))
                    {
                        obs.transfer = true;
                    }
                }
                (_, label) if allowed => {
                    obs.reached.insert(label.to_string());
                }
                _ => {}
            }
            obs.probes.push(Probe {
                target: p.target.clone(),
                outcome: r.outcome.clone(),
            });
        }
        if let Some(err) = setup_error {
            obs.probes.push(Probe {
                target: "setup".into(),
                outcome: Outcome::Inconclusive {
                    sqlstate: "rlsgate".into(),
                    message: err.to_string(),
                },
            });
        }
        out.push(obs);
    }
    out
}
