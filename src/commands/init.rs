//! `rlsgate init`: a project's first run. Probes like `rlsgate snapshot`, writes
//! `policy_specs/` from what the database does except the cells a person must decide
//! ([`left_for_review`]), writes a documented `rlsgate.toml`, and prints a CI workflow.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::cli::{GlobalArgs, InitArgs, TestArgs, TestFormat};
use crate::matrix::{Command, Observation, TableRef};
use crate::spec::snapshot::{self, Reality};
use crate::Status;

use super::test::Run;

/// The GitHub Actions workflow `init` prints; docs/ci.md shows the same file.
pub const WORKFLOW: &str = "\
name: rlsgate
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
  security-events: write # upload SARIF to code scanning
  pull-requests: write # comment the access diff on the pull request
jobs:
  rls:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v6
      - uses: rlsgate/rlsgate@v0
        with:
          comment: true
";

/// A cell `init` does not write into the specs: it stays unspecified, so `rlsgate test` fails
/// on it until a person declares what it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForReview {
    pub table: TableRef,
    pub identity: String,
    pub command: Command,
    /// Why a person must look, in one line.
    pub reason: String,
}

impl ForReview {
    fn covers(&self, obs: &Observation) -> bool {
        obs.table == self.table && obs.identity == self.identity && obs.command == self.command
    }
}

/// The table cells to leave for review. Today: the inconclusive ones (the probe did not test the
/// policy, so writing what it saw would be a guess). This is the seam for the suspicious cells
/// of a first run (anon reaching rows, a user reaching another's rows...): each source of
/// doubt adds its cells here, and everything below handles them alike.
pub fn left_for_review(run: &Run) -> Vec<ForReview> {
    run.matrix
        .observations
        .iter()
        .filter_map(|obs| {
            let (kind, probe) = match obs.inconclusive() {
                Some(probe) => ("inconclusive", probe),
                None => ("policy error", obs.policy_error()?),
            };
            Some(ForReview {
                table: obs.table.clone(),
                identity: obs.identity.clone(),
                command: obs.command,
                reason: format!(
                    "{kind}: probe {} {}",
                    probe.target,
                    crate::report::matrix::junit::probe_text(&probe.outcome)
                ),
            })
        })
        .collect()
}

/// The observations the specs are written from: all but those left for review.
pub fn reviewed_out(observations: &[Observation], review: &[ForReview]) -> Vec<Observation> {
    observations
        .iter()
        .filter(|obs| !review.iter().any(|r| r.covers(obs)))
        .cloned()
        .collect()
}

pub fn run(global: &GlobalArgs, args: &InitArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let specs_dir = global.project.join("policy_specs");
    let existing = snapshot::read_spec_files(&specs_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !existing.is_empty() && !args.force {
        let names: Vec<String> = existing
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        anyhow::bail!(
            "{} already holds specs ({}): `rlsgate snapshot` updates them; `rlsgate init --force` \
             also writes rlsgate.toml and fills in what they leave out",
            specs_dir.display(),
            names.join(", ")
        );
    }
    let test_args = TestArgs {
        format: TestFormat::Human,
        output: None,
        also: Vec::new(),
        tables: Vec::new(),
        identities: Vec::new(),
        allow_unspecified: true,
        jobs: None,
        migrate: false,
        no_seed: false,
        partition: None,
    };
    let run = super::test::probe_and_judge(global, &test_args)?;
    let review = left_for_review(&run);
    let observations = reviewed_out(&run.matrix.observations, &review);
    let reality = Reality {
        observations: &observations,
        rows: &run.matrix.rows,
        identities: &run.identities,
        functions: &run.functions,
    };
    let dir = run.project.specs_dir();
    let target = snapshot::default_target(&dir, &existing);
    let plan = snapshot::plan(existing, &target, &reality).map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (path, text) in &plan.writes {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }

    let config = global.project.join("rlsgate.toml");
    if config.exists() {
        writeln!(out, "kept {} (it exists)", config.display())?;
    } else {
        let text = config_template(&global.project)?;
        std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
        writeln!(out, "wrote {}", config.display())?;
    }

    if !review.is_empty() {
        writeln!(
            out,
            "\nleft for review ({}): no spec line written, so `rlsgate test` fails on them until you \
             declare them in policy_specs/",
            review.len()
        )?;
        for r in &review {
            writeln!(
                out,
                "  ? {} · {} · {}: {}",
                r.table.display_name(),
                r.identity,
                r.command,
                r.reason
            )?;
        }
    }
    writeln!(
        out,
        "\nNext: read policy_specs/ (every line is a claim about who may read and write which rows), \
         run `rlsgate test`, and commit. A GitHub Actions workflow, \
         .github/workflows/rlsgate.yml (docs/ci.md has GitLab CI and more):\n"
    )?;
    write!(out, "{WORKFLOW}")?;
    Ok(Status::Clean)
}

/// `rlsgate.toml` with every key documented and commented out at its default.
pub fn config_template(project: &Path) -> anyhow::Result<String> {
    let defaults = crate::lint::Config::load(project, None).context("reading the configuration")?;
    let schemas: Vec<String> = defaults
        .exposed_schemas
        .iter()
        .map(|s| format!("{s:?}"))
        .collect();
    Ok(format!(
        "\
# rlsgate configuration (docs/lint.md#rlsgatetoml). Every key is optional: the commented
# lines show the defaults. `rlsgate lint` and the catalog lint of `rlsgate test` read it.

[lint]
# Schemas the HTTP API exposes, where tables need row level security. Default: `public` plus
# `[api] schemas` of supabase/config.toml.
# exposed_schemas = [{schemas}]

# Rules that never run (`rlsgate rule` lists every rule).
# disable = [\"policy-missing-to\"]

# A rule's severity: \"error\" (fails `rlsgate lint` and `rlsgate test`), \"warning\" or \"info\".
[lint.severity]
# rls-no-policy = \"warning\"
",
        schemas = schemas.join(", ")
    ))
}
