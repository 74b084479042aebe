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
mod observe;
mod world;

use std::collections::BTreeSet;
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
use observe::observe_identity;
use world::Caller;
pub use world::WriteKind;

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
            // plans whose calls lost a lock race (a deadlock) with another connection's calls:
            // run again alone once the parallel pass is over, where they cannot lose
            let lost: Mutex<Vec<usize>> = Mutex::new(Vec::new());
            // every statement but the calls (what the identity reaches through the tables,
            // the snapshots) under the probe timeout
            let setup = format!(
                "set client_min_messages = error; set statement_timeout = {probe_timeout}; begin"
            );
            let open = |client: &mut Client| -> Result<(), ProbeError> {
                client
                    .batch_execute(&setup)
                    .map_err(ProbeError::db("opening a call transaction"))?;
                if let Some(sql) = opts.extra_sql {
                    client
                        .batch_execute(sql)
                        .map_err(ProbeError::db("applying the extra SQL"))?;
                }
                Ok(())
            };
            let jobs = opts.jobs.clamp(1, plans.len().max(1));
            std::thread::scope(|scope| {
                for _ in 0..jobs {
                    let (next, failure, lost, plans, results, config, run_identity, open) = (
                        &next,
                        &failure,
                        &lost,
                        &plans,
                        &results,
                        &config,
                        &run_identity,
                        &open,
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
                        if let Err(e) = open(&mut client) {
                            return fail(e);
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
                                Err(e) if e.code().is_some_and(|c| lock_race(c.code())) => {
                                    lost.lock().unwrap_or_else(|p| p.into_inner()).push(i);
                                    let _ = client.batch_execute("rollback");
                                    if let Err(e) = open(&mut client) {
                                        return fail(e);
                                    }
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
            let lost = lost.into_inner().unwrap_or_else(|p| p.into_inner());
            if !lost.is_empty() {
                let mut client = config
                    .connect(postgres::NoTls)
                    .map_err(ProbeError::db("opening a call connection"))?;
                open(&mut client)?;
                for i in lost {
                    crate::interrupt::check().map_err(ProbeError::Interrupted)?;
                    let (identity, units) = &plans[i];
                    let r = run_identity(&mut client, identity, units)
                        .map_err(ProbeError::db("running call probes"))?;
                    *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                }
                let _ = client.batch_execute("rollback");
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

/// A deadlock, a serialization failure or a lock not available: lost to another connection.
fn lock_race(sqlstate: &str) -> bool {
    matches!(sqlstate, "40P01" | "40001" | "55P03")
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
