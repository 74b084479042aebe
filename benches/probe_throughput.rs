//! Probe throughput on the demo project against its raw ceiling (issue 3): the same probe
//! statements sent by the thinnest client (`rlsgate::probe::ceiling`), in the same run, on the
//! same prepared database and the same number of connections.
//!
//!     cargo bench --bench probe_throughput [-- REPS]

#![allow(clippy::print_stdout)]

use std::time::Duration;

use rlsgate::commands::test::{exposed_schemas, load_declarations};
use rlsgate::migrate::{Database, OpenOptions};
use rlsgate::probe::{self, ceiling, Execution, ProbeOptions};
use rlsgate::project::Project;
use rlsgate::terminal::Progress;

fn main() -> anyhow::Result<()> {
    let reps: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(15);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = Project::load(root)?;
    let (identities, specs, fixtures) = load_declarations(&project)?;
    let mut db = Database::open(&project, &OpenOptions::default(), &Progress::new(true))?;
    let schemas = exposed_schemas(&project);
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    let prepared = probe::prepare(
        &mut db,
        &ProbeOptions {
            schemas: &schemas,
            identities: &identities,
            fixtures: &fixtures,
            specs: &specs,
            tables: &[],
            only_identities: &[],
            partition: None,
            jobs,
        },
        None,
    )?;
    let exec = Execution {
        only_identities: &[],
        jobs,
        extra_sql: None,
    };
    let mut ours = Vec::new();
    let mut raw = Vec::new();
    let mut cells = 0;
    let mut statements = 0;
    for rep in 0..=reps {
        let t = std::time::Instant::now();
        let observed = probe::observe_all(&mut db, &prepared, &exec)?;
        let elapsed = t.elapsed();
        let pass = ceiling::raw_pass(&db, &prepared, jobs)?;
        assert_eq!(
            observed.len(),
            pass.cells,
            "both passes cover the same cells"
        );
        if rep > 0 {
            ours.push(elapsed);
            raw.push(pass.elapsed);
        }
        cells = pass.cells;
        statements = pass.statements;
    }
    let rate = |d: Duration| cells as f64 / d.as_secs_f64();
    let (ours, raw) = (median(ours), median(raw));
    println!("probe throughput on the demo: {cells} cells, {statements} probe statements, {jobs} connections, median of {reps}");
    println!(
        "  rlsgate pass (connections, probe function, verdict input): {:>7.1} ms  {:>6.0} cells/s",
        ms(ours),
        rate(ours)
    );
    println!(
        "  raw ceiling (same statements, one round trip per probe):   {:>7.1} ms  {:>6.0} cells/s",
        ms(raw),
        rate(raw)
    );
    println!(
        "  rlsgate / ceiling: {:.0}% (target >= 50%)",
        100.0 * rate(ours) / rate(raw)
    );
    Ok(())
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
