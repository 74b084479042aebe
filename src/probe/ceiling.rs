//! The raw ceiling the probe engine is measured against: the very probe statements of a pass,
//! sent by the thinnest client there is. One transaction per table x identity, the claims set
//! once, then per probe one round trip (`savepoint; prelude; snapshot; set local role;
//! statement; snapshot; rollback to savepoint`), and one more to roll back after an error. It
//! skips what rlsgate skips (a per-row write once the unfiltered one ran), and nothing more:
//! no function, no result read, no verdict, only what Postgres must do to answer the cells.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use postgres::Client;

use super::cells::{position_of, Plan, PlannedProbe};
use super::{build_plans, Prepared, ProbeError};
use crate::matrix::Command;
use crate::migrate::Database;
use crate::probe::values::literal;

/// A timed pass over every cell.
pub struct RawPass {
    pub cells: usize,
    pub statements: usize,
    pub elapsed: Duration,
}

/// Runs every probe of every cell the raw way on `jobs` connections to our own cluster
/// (opened before the clock starts). Nothing persists: each cell's transaction is rolled back.
pub fn raw_pass(db: &Database, prepared: &Prepared, jobs: usize) -> Result<RawPass, ProbeError> {
    let (_, mut plans) = build_plans(prepared, &[], &[]);
    plans.sort_by_key(|p| std::cmp::Reverse(p.probes.len()));
    let mut clients = Vec::new();
    for _ in 0..jobs.max(1) {
        let mut client = db
            .extra_connection()
            .ok_or_else(|| ProbeError::Db {
                context: "the raw ceiling".into(),
                message: "needs rlsgate's own cluster, not --db-url".into(),
            })?
            .map_err(ProbeError::db("opening a raw connection"))?;
        client
            .batch_execute("set statement_timeout = '10s'; set client_min_messages = error;")
            .map_err(ProbeError::db("configuring a raw connection"))?;
        clients.push(client);
    }
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let statements: Result<Vec<usize>, ProbeError> = std::thread::scope(|scope| {
        let handles: Vec<_> = clients
            .into_iter()
            .map(|mut client| {
                let (next, plans) = (&next, &plans);
                scope.spawn(move || {
                    let mut sent = 0;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(plan) = plans.get(i) else {
                            return Ok(sent);
                        };
                        sent += run_cell(&mut client, plan)
                            .map_err(ProbeError::db("running raw probes"))?;
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("raw probe thread"))
            .collect()
    });
    let elapsed = started.elapsed();
    Ok(RawPass {
        cells: plans.len() * Command::ALL.len(),
        statements: statements?.iter().sum(),
        elapsed,
    })
}

/// One table x identity: its probes, each in a savepoint, all in one rolled-back transaction.
fn run_cell(client: &mut Client, plan: &Plan) -> Result<usize, postgres::Error> {
    let id = plan.identity;
    let claims = id.claims.to_string();
    client.batch_execute(&format!(
        "begin; select set_config('request.jwt.claims', {}, true), \
         set_config('request.jwt.claim.sub', {}, true), \
         set_config('request.jwt.claim.role', {}, true), \
         set_config('request.jwt.claim.email', {}, true);",
        literal(&claims),
        literal(id.sub.as_deref().unwrap_or_default()),
        literal(&id.role),
        literal(id.email.as_deref().unwrap_or_default()),
    ))?;
    let role = literal(&id.role);
    let mut sent = 0;
    let probes: Vec<&PlannedProbe> = plan.probes.iter().collect();
    let mut succeeded = vec![false; probes.len()];
    for (i, p) in probes.iter().enumerate() {
        let covered = p
            .covered_by
            .and_then(|cover| position_of(&probes, cover))
            .is_some_and(|c| succeeded[c]);
        if p.unbuildable.is_some() || covered {
            continue;
        }
        let check = p.check.as_deref().map(|c| format!("{c};"));
        let batch = format!(
            "savepoint probe; {prelude}; {before} select set_config('role', {role}, true); {statement}; \
             {after} rollback to savepoint probe;",
            prelude = p.prelude,
            before = check.as_deref().unwrap_or_default(),
            statement = p.statement,
            after = check
                .as_deref()
                .map(|c| format!("select set_config('role', 'none', true); {c}"))
                .unwrap_or_default(),
        );
        sent += 1;
        match client.batch_execute(&batch) {
            Ok(()) => succeeded[i] = true,
            Err(_) => client.batch_execute("rollback to savepoint probe")?,
        }
    }
    client.batch_execute("rollback")?;
    Ok(sent)
}
