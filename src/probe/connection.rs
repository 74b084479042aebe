//! Probe connections: opened on our own cluster (or the one `--db-url` transaction), the probe
//! function installed, every plan run on them in parallel.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use postgres::Client;

use super::cells::{self, Plan, ProbeResult};
use super::error::ProbeError;
use super::{assemble, build_plans, Execution, Prepared};
use crate::matrix::{Command, Observation, TableRef};
use crate::migrate::Database;

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

/// Runs every plan: on parallel connections to our own cluster, or on the one rolled-back
/// transaction of a `--db-url` database.
pub(super) fn execute_plans(
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
