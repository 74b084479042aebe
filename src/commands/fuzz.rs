use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::cli::{FuzzArgs, GlobalArgs};
use crate::fuzz::{self, FuzzOptions};
use crate::probe::ProbeConnection;
use crate::terminal::Progress;
use crate::Status;

use super::mutate::Setup;

pub fn run(global: &GlobalArgs, args: &FuzzArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let started = Instant::now();
    let progress = Progress::new(global.quiet);
    let mut setup = Setup::open(global, false, &progress)?;
    let prepared = setup.prepare(2)?;
    let Some(mut conn) = ProbeConnection::open(&setup.db)? else {
        anyhow::bail!(
            "rlsgate fuzz needs its own database: it commits nothing, but runs each case on a \
             separate connection (drop --db-url)"
        );
    };
    progress.set("fuzzing");
    let report = fuzz::run(
        &mut conn,
        &prepared,
        &setup.specs,
        &FuzzOptions {
            seed: args.seed,
            cases: args.cases,
            time_budget: args.time_budget.map(Duration::from_secs),
            tables: &args.tables,
        },
    )
    .context("fuzzing")?;
    progress.finish();
    let secs = started.elapsed().as_secs_f64();
    let budget = if report.budget_reached {
        " (time budget reached)"
    } else {
        ""
    };
    let Some(v) = &report.violation else {
        writeln!(
            out,
            "fuzz: {} cases (seed {}){budget}: isolation, claim tampering and anon hold; {} statements tried ({secs:.1} s)",
            report.cases, report.seed, report.statements
        )?;
        return Ok(Status::Clean);
    };
    let reached = match (&v.command, &v.row_owner) {
        (crate::matrix::Command::Insert, Some(o)) => format!("inserted a row owned by {o}"),
        (c, Some(o)) => format!("could {c} a row owned by {o}"),
        (c, None) => format!("could {c} a row"),
    };
    writeln!(
        out,
        "fuzz: property `{}` fails (seed {}, after {} cases, shrunk):",
        v.property.as_str(),
        report.seed,
        report.cases
    )?;
    writeln!(
        out,
        "  {} (role {}) {reached} in {}; the spec allows {} = {}",
        v.actor,
        v.role,
        v.table.display_name(),
        v.command,
        v.expected
    )?;
    if !v.tampering.is_empty() {
        writeln!(out, "  claims tampered with: {}", v.tampering.join("; "))?;
    }
    writeln!(
        out,
        "  claims: {}",
        if v.claims.is_empty() {
            "(none)"
        } else {
            &v.claims
        }
    )?;
    let verified = if v.reproduced {
        "run on its own, it reaches the row again"
    } else {
        "not verified: run on its own it did not reach the row"
    };
    writeln!(out, "\nreproduction ({verified}):\n{}", v.reproduction)?;
    Ok(Status::Findings)
}
