//! Call probes: what each function callable through `/rpc` lets each identity that may call it
//! read and write. Every call runs as the identity (role and JWT claims as the table probes set
//! them) in a savepoint that is rolled back, with arguments drawn from the synthesized rows:
//! the identity's own rows' keys, then another user's and another tenant's. A call that reads
//! or writes rows the identity cannot reach through the tables themselves is a bypass: what it
//! reaches through the tables is asked of the database as the identity, as the table probes ask
//! it (the rows it reads; whether it could make each write a call made), so a share of a
//! `--partition` run judges calls exactly as the whole run does.
//!
//! Rows written are seen by snapshotting the tables the function names before and after the
//! call. Rows read are seen in the result (row keys in it), and by calling again with the rows
//! the identity cannot read through the tables deleted (in a savepoint): a result that changes
//! depended on them, and hiding one table at a time says which table's rows it read.

mod args;
mod world;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use postgres::Client;
use serde::{Deserialize, Serialize};

use super::catalog::Relation;
use super::functions::FunctionAccess;
use super::{Prepared, ProbeError};
use crate::matrix::{FunctionRef, TableRef};
use crate::migrate::Database;
use crate::spec::Identity;
use args::{key_values, plain_value, KeyValue, Signature, Whose, INJECTIONS};
pub use world::WriteKind;
use world::{Called, Caller};

/// A row a call reached: `table` and the row's label (an identity name for auth.users).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RowRef {
    pub table: TableRef,
    pub label: String,
}

impl std::fmt::Display for RowRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.table.display_name(), self.label)
    }
}

/// One call that reached rows the identity cannot reach through the tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bypass {
    /// The argument that opened it (`org_id = org2 (orgs)`), or `no argument`.
    pub argument: String,
    /// Rows read: in the result, or rows the result depended on.
    pub reads: BTreeSet<RowRef>,
    /// Rows written, with how.
    pub writes: BTreeSet<(WriteKind, RowRef)>,
}

/// One call made, in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub argument: String,
    /// `returned`, `refused: <message>` or `inconclusive: <reason>`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inconclusive: bool,
}

/// What one identity's calls of one function reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallObservation {
    pub function: FunctionRef,
    pub security_definer: bool,
    pub identity: String,
    pub calls: Vec<CallRecord>,
    pub bypasses: Vec<Bypass>,
}

impl CallObservation {
    /// Every call failed to say anything (timeouts, errors that are not refusals).
    pub fn inconclusive(&self) -> Option<&CallRecord> {
        (!self.calls.is_empty() && self.calls.iter().all(|c| c.inconclusive))
            .then(|| &self.calls[0])
    }
}

/// A callable function no call was made to, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotCalled {
    pub function: FunctionRef,
    pub reason: String,
}

pub struct CallOptions<'a> {
    pub schemas: &'a [String],
    pub only_identities: &'a [String],
    pub jobs: usize,
    /// One call's limit (`--call-timeout`); `None` for none.
    pub timeout: Option<Duration>,
    /// SQL run first in every call transaction (as the superuser), e.g. a function mutant; it
    /// is rolled back with the calls.
    pub extra_sql: Option<&'a str>,
}

#[derive(Default)]
pub struct CallsRun {
    pub observations: Vec<CallObservation>,
    pub not_called: Vec<NotCalled>,
}

struct PlannedCall {
    argument: String,
    sql: String,
    /// The value that opened the call (to narrow the rows its result depended on).
    opening: Option<String>,
    injection: bool,
}

struct Unit<'a> {
    function: &'a FunctionAccess,
    tables: Vec<&'a Relation>,
    calls: Vec<PlannedCall>,
}

/// Calls every callable function as every identity that may call it.
pub fn run(
    db: &mut Database,
    prepared: &Prepared,
    functions: &[FunctionAccess],
    opts: &CallOptions,
) -> Result<CallsRun, ProbeError> {
    let signatures = args::load(db.client(), opts.schemas)
        .map_err(ProbeError::db("reading function arguments"))?;
    let bypassing: Vec<String> = db
        .client()
        .query(
            "select rolname::text from pg_roles where rolbypassrls or rolsuper",
            &[],
        )
        .map_err(ProbeError::db("reading roles"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut not_called = Vec::new();
    let mut callable: Vec<(&FunctionAccess, &Signature)> = Vec::new();
    for f in functions.iter().filter(|f| f.callable) {
        match signatures.get(&f.function) {
            Some(sig) => match &sig.not_callable {
                Some(reason) => not_called.push(NotCalled {
                    function: f.function.clone(),
                    reason: reason.clone(),
                }),
                None => callable.push((f, sig)),
            },
            None => not_called.push(NotCalled {
                function: f.function.clone(),
                reason: "its arguments could not be read from the catalog".into(),
            }),
        }
    }
    let identities: Vec<&Identity> = prepared
        .identities
        .iter()
        .filter(|i| opts.only_identities.is_empty() || opts.only_identities.contains(&i.name))
        .filter(|i| !bypassing.contains(&i.role))
        .collect();
    let owners: Vec<&Identity> = prepared
        .identities
        .iter()
        .filter(|i| i.owns_rows())
        .collect();
    let plans: Vec<(&Identity, Vec<Unit>)> = identities
        .iter()
        .map(|identity| {
            let units = callable
                .iter()
                .filter(|(f, _)| f.execute.get(&identity.name).copied().unwrap_or(false))
                .map(|(f, sig)| plan_unit(prepared, f, sig, identity, &owners))
                .collect();
            (*identity, units)
        })
        .filter(|(_, units): &(&Identity, Vec<Unit>)| !units.is_empty())
        .collect();
    let call_timeout = crate::timeouts::as_setting(opts.timeout);
    let probe_timeout = crate::timeouts::as_setting(db.probe_timeout);
    let run_identity = |client: &mut Client, identity: &Identity, units: &[Unit]| {
        let caller = Caller {
            identity,
            call_timeout: call_timeout.clone(),
            probe_timeout: probe_timeout.clone(),
        };
        observe_identity(client, prepared, &caller, units)
    };
    let results: Vec<Mutex<Option<Vec<CallObservation>>>> =
        plans.iter().map(|_| Mutex::new(None)).collect();
    match db.extra_config() {
        None => {
            let client = db.client();
            client
                .batch_execute("savepoint rlsgate_calls")
                .map_err(ProbeError::db("opening the call probes"))?;
            if let Some(sql) = opts.extra_sql {
                client
                    .batch_execute(sql)
                    .map_err(ProbeError::db("applying the extra SQL"))?;
            }
            for (i, (identity, units)) in plans.iter().enumerate() {
                crate::interrupt::check().map_err(ProbeError::Interrupted)?;
                let r = run_identity(client, identity, units)
                    .map_err(ProbeError::db("running call probes"))?;
                *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
            }
            client
                .batch_execute("rollback to savepoint rlsgate_calls")
                .map_err(ProbeError::db("closing the call probes"))?;
        }
        Some(config) => {
            let next = AtomicUsize::new(0);
            let failure: Mutex<Option<ProbeError>> = Mutex::new(None);
            let jobs = opts.jobs.clamp(1, plans.len().max(1));
            std::thread::scope(|scope| {
                for _ in 0..jobs {
                    let (next, failure, plans, results, config, run_identity, probe_timeout) = (
                        &next,
                        &failure,
                        &plans,
                        &results,
                        &config,
                        &run_identity,
                        &probe_timeout,
                    );
                    scope.spawn(move || {
                        let fail = |e: ProbeError| {
                            failure
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .get_or_insert(e);
                            next.store(plans.len(), Ordering::Relaxed);
                        };
                        let mut client = match config.connect(postgres::NoTls) {
                            Ok(c) => c,
                            Err(e) => return fail(ProbeError::db("opening a call connection")(e)),
                        };
                        // every statement but the calls (what the identity reaches through
                        // the tables, the snapshots) under the probe timeout
                        let setup = format!(
                            "set client_min_messages = error; set statement_timeout = {probe_timeout}; begin"
                        );
                        if let Err(e) = client.batch_execute(&setup) {
                            return fail(ProbeError::db("opening a call transaction")(e));
                        }
                        if let Some(sql) = opts.extra_sql {
                            if let Err(e) = client.batch_execute(sql) {
                                return fail(ProbeError::db("applying the extra SQL")(e));
                            }
                        }
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= plans.len() {
                                break;
                            }
                            if let Err(stop) = crate::interrupt::check() {
                                return fail(ProbeError::Interrupted(stop));
                            }
                            let (identity, units) = &plans[i];
                            match run_identity(&mut client, identity, units) {
                                Ok(r) => {
                                    *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r)
                                }
                                Err(e) => return fail(ProbeError::db("running call probes")(e)),
                            }
                        }
                        let _ = client.batch_execute("rollback");
                    });
                }
            });
            if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
                return Err(e);
            }
        }
    }
    let mut observations: Vec<CallObservation> = results
        .into_iter()
        .flat_map(|r| {
            r.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_default()
        })
        .collect();
    let rank = |name: &str| prepared.identities.iter().position(|i| i.name == name);
    observations
        .sort_by(|a, b| (&a.function, rank(&a.identity)).cmp(&(&b.function, rank(&b.identity))));
    Ok(CallsRun {
        observations,
        not_called,
    })
}

/// Whether `name` appears in `body` as a word.
fn mentions(body: &str, name: &str) -> bool {
    let name = name.to_lowercase();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    body.match_indices(&name).any(|(at, _)| {
        !body[..at].chars().next_back().is_some_and(ident)
            && !body[at + name.len()..].chars().next().is_some_and(ident)
    })
}

fn plan_unit<'a>(
    prepared: &'a Prepared,
    f: &'a FunctionAccess,
    sig: &Signature,
    identity: &Identity,
    owners: &[&Identity],
) -> Unit<'a> {
    let body = sig.body.to_lowercase();
    let tables: Vec<&Relation> = prepared
        .catalog
        .relations
        .iter()
        .filter(|r| {
            prepared
                .states
                .get(&r.table)
                .is_some_and(|s| !s.rows.is_empty())
        })
        .filter(|r| mentions(&body, &r.table.name))
        .collect();
    let keyed: Vec<Vec<KeyValue>> = sig
        .args
        .iter()
        .map(|a| {
            key_values(
                a,
                &f.function,
                &prepared.catalog,
                &prepared.states,
                identity,
                owners,
            )
        })
        .collect();
    // The base call: every keyed argument from the identity's own rows where it has any.
    let base: Vec<Option<String>> = sig
        .args
        .iter()
        .zip(&keyed)
        .map(|(a, k)| {
            k.first()
                .map(|k| k.sql.clone())
                .or_else(|| (!a.has_default).then(|| plain_value(a)).flatten())
        })
        .collect();
    let render = |values: &[Option<String>]| -> String {
        let named = sig.args.iter().all(|a| !a.name.is_empty());
        if named {
            sig.args
                .iter()
                .zip(values)
                .filter_map(|(a, v)| {
                    v.as_ref()
                        .map(|v| format!("{} => {v}", crate::matrix::quote_ident(&a.name)))
                })
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            let last = values
                .iter()
                .rposition(|v| v.is_some())
                .map_or(0, |i| i + 1);
            sig.args
                .iter()
                .zip(values)
                .take(last)
                .map(|(a, v)| {
                    v.clone()
                        .or_else(|| plain_value(a))
                        .unwrap_or_else(|| "null".into())
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let describe = |k: &KeyValue, name: &str| {
        let whose = match k.whose {
            Whose::Own => "own",
            Whose::OtherUser => "another user's",
            Whose::OtherTenant => "another tenant's",
        };
        format!(
            "{name} = {} ({whose} row of {})",
            k.label,
            k.table.display_name()
        )
    };
    let mut calls = vec![PlannedCall {
        argument: sig
            .args
            .iter()
            .zip(&keyed)
            .filter_map(|(a, k)| k.first().map(|k| describe(k, &a.name)))
            .collect::<Vec<_>>()
            .join(", "),
        sql: world::call_sql(&f.function, &render(&base)),
        opening: None,
        injection: false,
    }];
    for (i, (a, k)) in sig.args.iter().zip(&keyed).enumerate() {
        for other in k.iter().filter(|k| k.whose != Whose::Own).skip(
            // the base call already used the first value when the identity has no own one
            usize::from(k.first().is_some_and(|k| k.whose != Whose::Own)),
        ) {
            let mut values = base.clone();
            values[i] = Some(other.sql.clone());
            calls.push(PlannedCall {
                argument: describe(other, &a.name),
                sql: world::call_sql(&f.function, &render(&values)),
                opening: Some(other.text.clone()),
                injection: false,
            });
        }
        if let Some(first) = k.first().filter(|k| k.whose != Whose::Own) {
            calls[0].opening = Some(first.text.clone());
        }
    }
    if f.dynamic_sql {
        for (i, a) in sig
            .args
            .iter()
            .enumerate()
            .filter(|(_, a)| a.category == 'S')
        {
            for payload in INJECTIONS {
                let mut values = base.clone();
                values[i] = Some(format!(
                    "{}::{}",
                    crate::sql::quote::quote_literal(payload),
                    a.sql_type
                ));
                calls.push(PlannedCall {
                    argument: format!("{} = {payload:?} (injection)", a.name),
                    sql: world::call_sql(&f.function, &render(&values)),
                    opening: None,
                    injection: true,
                });
            }
        }
    }
    if calls[0].argument.is_empty() {
        calls[0].argument = "no key argument".into();
    }
    Unit {
        function: f,
        tables,
        calls,
    }
}

/// What an identity reaches through the tables themselves, asked of the database as the
/// identity (as the table probes do): the rows it reads, read up front; whether it could make
/// a write a call made, asked when a call makes one.
struct Reachable<'p> {
    prepared: &'p Prepared,
    /// Keys of the rows it reads, by table (`None`: unknown, every row counts as read).
    select: HashMap<TableRef, Option<BTreeSet<String>>>,
    writes: HashMap<(TableRef, String, WriteKind), bool>,
    inserts: HashMap<TableRef, bool>,
}

impl<'p> Reachable<'p> {
    fn read(
        client: &mut Client,
        prepared: &'p Prepared,
        caller: &Caller,
    ) -> Result<Reachable<'p>, postgres::Error> {
        let mut select = HashMap::new();
        for rel in &prepared.catalog.relations {
            if prepared
                .states
                .get(&rel.table)
                .is_some_and(|s| !s.rows.is_empty())
            {
                select.insert(rel.table.clone(), world::readable(client, caller, rel)?);
            }
        }
        Ok(Reachable {
            prepared,
            select,
            writes: HashMap::new(),
            inserts: HashMap::new(),
        })
    }

    fn reads(&self, table: &TableRef, key: &str) -> bool {
        match self.select.get(table) {
            Some(Some(keys)) => keys.contains(key),
            _ => true,
        }
    }

    fn could(
        &mut self,
        client: &mut Client,
        caller: &Caller,
        table: &TableRef,
        key: &str,
        kind: WriteKind,
    ) -> Result<bool, postgres::Error> {
        let Some(rel) = self.prepared.catalog.get(table) else {
            return Ok(true);
        };
        if kind == WriteKind::Insert {
            if let Some(&known) = self.inserts.get(table) {
                return Ok(known);
            }
            let can = world::insertable(client, caller, rel)?;
            self.inserts.insert(table.clone(), can);
            return Ok(can);
        }
        let slot = (table.clone(), key.to_string(), kind);
        if let Some(&known) = self.writes.get(&slot) {
            return Ok(known);
        }
        let column = match self.prepared.states.get(table) {
            Some(state) => crate::probe::cells::touch_column(
                rel,
                &state.model,
                self.prepared
                    .updatable
                    .get(&(table.clone(), caller.identity.role.clone()))
                    .map_or(&[][..], |c| &c[..]),
            ),
            None => return Ok(true),
        };
        let can = world::writable(client, caller, rel, key, kind, &column)?;
        self.writes.insert(slot, can);
        Ok(can)
    }
}

fn observe_identity(
    client: &mut Client,
    prepared: &Prepared,
    caller: &Caller,
    units: &[Unit],
) -> Result<Vec<CallObservation>, postgres::Error> {
    let identity = caller.identity;
    let mut reach = Reachable::read(client, prepared, caller)?;
    let labels: HashMap<(&TableRef, &str), &str> = prepared
        .states
        .iter()
        .flat_map(|(t, s)| {
            s.rows
                .iter()
                .map(move |r| ((t, r.key.as_str()), r.label.as_str()))
        })
        .collect();
    // rows the identity cannot read through the tables (its own rows stay: a helper reading
    // the caller's own membership is not a bypass)
    let hidden: Vec<(&Relation, BTreeSet<String>)> = prepared
        .catalog
        .relations
        .iter()
        .filter_map(|rel| {
            let state = prepared.states.get(&rel.table)?;
            let keys: BTreeSet<String> = state
                .rows
                .iter()
                .filter(|r| !r.is_owned_by(&identity.name) && !reach.reads(&rel.table, &r.key))
                .map(|r| r.key.clone())
                .collect();
            (!keys.is_empty()).then_some((rel, keys))
        })
        .collect();
    let others_emails: Vec<(&str, &str)> = prepared
        .identities
        .iter()
        .filter(|i| i.name != identity.name)
        .filter_map(|i| Some((i.name.as_str(), i.email.as_deref()?)))
        .collect();
    let mut out = Vec::new();
    // (unit, call) -> result, for the second look
    let mut returned: Vec<(usize, usize, String)> = Vec::new();
    for (u, unit) in units.iter().enumerate() {
        let mut obs = CallObservation {
            function: unit.function.function.clone(),
            security_definer: unit.function.security_definer,
            identity: identity.name.clone(),
            calls: Vec::new(),
            bypasses: Vec::new(),
        };
        for (c, planned) in unit.calls.iter().enumerate() {
            let called = world::call(client, caller, &planned.sql, &unit.tables)?;
            let mut bypass = Bypass {
                argument: planned.argument.clone(),
                reads: BTreeSet::new(),
                writes: BTreeSet::new(),
            };
            let text = match &called {
                Called::Returned { result, .. } => result.clone(),
                Called::Refused { message, .. } | Called::Failed { message, .. } => message.clone(),
            };
            for (name, email) in &others_emails {
                if text.contains(email) {
                    bypass.reads.insert(RowRef {
                        table: TableRef::new("auth", "users"),
                        label: name.to_string(),
                    });
                }
            }
            let record = match &called {
                Called::Returned { result, writes } => {
                    let values = world::values_in(result);
                    for (rel, keys) in &hidden {
                        let Some(state) = prepared.states.get(&rel.table) else {
                            continue;
                        };
                        if rel.primary_key.len() != 1 {
                            continue;
                        }
                        for row in state.rows.iter().filter(|r| keys.contains(&r.key)) {
                            let key = match row.json.get(&rel.primary_key[0]) {
                                Some(serde_json::Value::String(s)) if s.len() >= 8 => s.clone(),
                                _ => continue,
                            };
                            if values.contains(&key) {
                                bypass.reads.insert(RowRef {
                                    table: rel.table.clone(),
                                    label: row.label.clone(),
                                });
                            }
                        }
                    }
                    for w in writes {
                        let label = labels.get(&(&w.table, w.key.as_str())).copied();
                        let beyond = match (w.kind, label) {
                            (WriteKind::Insert, _) | (_, Some(_)) => {
                                !reach.could(client, caller, &w.table, &w.key, w.kind)?
                            }
                            (_, None) => false,
                        };
                        if beyond {
                            bypass.writes.insert((
                                w.kind,
                                RowRef {
                                    table: w.table.clone(),
                                    label: label.unwrap_or("new row").to_string(),
                                },
                            ));
                        }
                    }
                    returned.push((u, c, result.clone()));
                    CallRecord {
                        argument: planned.argument.clone(),
                        outcome: "returned".into(),
                        inconclusive: false,
                    }
                }
                Called::Refused { message, .. } => CallRecord {
                    argument: planned.argument.clone(),
                    outcome: format!("refused: {message}"),
                    inconclusive: false,
                },
                // an injection payload that breaks the statement is the function holding
                Called::Failed { message, .. } if planned.injection => CallRecord {
                    argument: planned.argument.clone(),
                    outcome: format!("refused: {message}"),
                    inconclusive: false,
                },
                Called::Failed { sqlstate, message } => CallRecord {
                    argument: planned.argument.clone(),
                    outcome: format!(
                        "inconclusive: {}",
                        if sqlstate == "57014" {
                            format!(
                                "did not finish within the call timeout ({} ms); raise --call-timeout or `[timeouts] call`",
                                caller.call_timeout
                            )
                        } else {
                            format!("{message} ({sqlstate})")
                        }
                    ),
                    inconclusive: true,
                },
            };
            obs.calls.push(record);
            if !bypass.reads.is_empty() || !bypass.writes.is_empty() {
                obs.bypasses.push(bypass);
            }
        }
        out.push(obs);
    }
    second_look(
        client, prepared, caller, units, &hidden, &returned, &mut out,
    )?;
    Ok(out)
}

/// Calls again with the rows the identity cannot read hidden; a result that changes read
/// them. Hiding one table at a time then says whose rows.
fn second_look(
    client: &mut Client,
    prepared: &Prepared,
    caller: &Caller,
    units: &[Unit],
    hidden: &[(&Relation, BTreeSet<String>)],
    returned: &[(usize, usize, String)],
    out: &mut [CallObservation],
) -> Result<(), postgres::Error> {
    if hidden.is_empty() || returned.is_empty() {
        return Ok(());
    }
    let all: Vec<(&Relation, &BTreeSet<String>)> = hidden.iter().map(|(r, k)| (*r, k)).collect();
    let changed = |client: &mut Client,
                   hide: &[(&Relation, &BTreeSet<String>)],
                   which: &[&(usize, usize, String)]|
     -> Result<Vec<bool>, postgres::Error> {
        client.batch_execute("savepoint rlsgate_hidden")?;
        world::hide(client, hide)?;
        let mut differ = Vec::new();
        for (u, c, before) in which {
            let after = world::result_only(client, caller, &units[*u].calls[*c].sql)?;
            differ.push(after.as_deref() != Some(before.as_str()));
        }
        client.batch_execute("rollback to savepoint rlsgate_hidden")?;
        Ok(differ)
    };
    let every: Vec<&(usize, usize, String)> = returned.iter().collect();
    let differ = changed(client, &all, &every)?;
    let mut suspects: Vec<&(usize, usize, String)> = Vec::new();
    for (r, d) in every.iter().zip(differ).filter(|(_, d)| *d) {
        // a result that changes from one call to the next (a timestamp, a new id) says nothing
        let again = world::result_only(client, caller, &units[r.0].calls[r.1].sql)?;
        if d && again.as_deref() == Some(r.2.as_str()) {
            suspects.push(r);
        }
    }
    if suspects.is_empty() {
        return Ok(());
    }
    let mut read_tables: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (t, (rel, keys)) in hidden.iter().enumerate() {
        let which: Vec<&(usize, usize, String)> = suspects
            .iter()
            .copied()
            .filter(|(u, _, _)| {
                let named = &units[*u].tables;
                named.is_empty()
                    || named.iter().any(|n| n.table == rel.table)
                    || !named
                        .iter()
                        .any(|n| hidden.iter().any(|(h, _)| h.table == n.table))
            })
            .collect();
        if which.is_empty() {
            continue;
        }
        let differ = changed(client, &[(*rel, keys)], &which)?;
        for (r, d) in which.iter().zip(differ) {
            if d {
                read_tables.entry((r.0, r.1)).or_default().push(t);
            }
        }
    }
    for r in &suspects {
        let tables = read_tables
            .get(&(r.0, r.1))
            .cloned()
            .unwrap_or_else(|| (0..hidden.len()).collect());
        let planned = &units[r.0].calls[r.1];
        let mut reads = BTreeSet::new();
        for t in tables {
            let (rel, keys) = &hidden[t];
            let Some(state) = prepared.states.get(&rel.table) else {
                continue;
            };
            let rows: Vec<_> = state
                .rows
                .iter()
                .filter(|row| keys.contains(&row.key))
                .collect();
            let narrowed: Vec<_> = match &planned.opening {
                Some(value) => rows
                    .iter()
                    .copied()
                    .filter(|row| {
                        row.json.values().any(|v| match v {
                            serde_json::Value::String(s) => s == value,
                            serde_json::Value::Number(n) => &n.to_string() == value,
                            _ => false,
                        })
                    })
                    .collect(),
                None => Vec::new(),
            };
            let chosen = if narrowed.is_empty() { rows } else { narrowed };
            reads.extend(chosen.into_iter().map(|row| RowRef {
                table: rel.table.clone(),
                label: row.label.clone(),
            }));
        }
        let obs = &mut out[r.0];
        match obs
            .bypasses
            .iter_mut()
            .find(|b| b.argument == planned.argument)
        {
            Some(b) => b.reads.extend(reads),
            None => obs.bypasses.push(Bypass {
                argument: planned.argument.clone(),
                reads,
                writes: BTreeSet::new(),
            }),
        }
    }
    Ok(())
}
