//! `rlsgate init`: a project's first run. Probes like `rlsgate snapshot`, writes
//! `policy_specs/` from what the database does except the cells a person must decide
//! ([`left_for_review`]), writes a documented `rlsgate.toml`, and prints a CI workflow.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::cli::{GlobalArgs, InitArgs, TestArgs, TestFormat};
use crate::spec::snapshot::{self, Held, Reality};
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

/// The cells `init` does not write as specs, each with why a person must look: the
/// inconclusive ones (the probe did not test the policy, so writing what it saw would be a
/// guess), the policy errors (every such request fails) and the suspicious ones (they break the presumption: writing them would declare a
/// likely leak intended). They stay unspecified, so `rlsgate test` fails on them until a person
/// declares them; the suspicious ones are written commented out, with why.
pub fn left_for_review(run: &Run) -> Vec<Held> {
    let mut review: Vec<Held> = run
        .cells
        .iter()
        .filter_map(|cell| {
            let (table, command) = cell.relation().zip(cell.command())?;
            let obs = run.matrix.observations.iter().find(|o| {
                &o.table == table && o.identity == cell.identity && o.command == command
            })?;
            let (kind, probe) = match obs.inconclusive() {
                Some(probe) => ("inconclusive", probe),
                None => ("policy error", obs.policy_error()?),
            };
            Some(Held {
                subject: cell.subject.clone(),
                identity: cell.identity.clone(),
                action: cell.action,
                reason: format!(
                    "{kind}: probe {} {}",
                    probe.target,
                    crate::report::matrix::junit::probe_text(&probe.outcome)
                ),
            })
        })
        .collect();
    review.extend(Held::suspicious(&run.cells));
    review
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
    let reality = Reality {
        observations: &run.matrix.observations,
        rows: &run.matrix.rows,
        identities: &run.matrix.identities,
        functions: &run.functions,
    };
    let dir = run.project.specs_dir();
    let target = snapshot::default_target(&dir, &existing);
    let plan = snapshot::plan_holding(existing, &target, &reality, &review)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (path, text) in &plan.writes {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    if let Some((path, text)) = super::snapshot::adversary_declaration(&dir, &run.identities) {
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        writeln!(
            out,
            "wrote {} (declares mallory, the first run's adversary)",
            path.display()
        )?;
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
            "\nleft for review ({}): no spec line written (the suspicious ones are in policy_specs/ \
             commented out, with why), so `rlsgate test` fails on them until you fix them or \
             declare them",
            review.len()
        )?;
        for r in &review {
            writeln!(
                out,
                "  {} {} · {} · {}: {}",
                if r.reason.starts_with("inconclusive") {
                    "!"
                } else if r.reason.starts_with("policy error") {
                    "⚠"
                } else {
                    "⚑"
                },
                r.subject.display_name(),
                r.identity,
                r.action,
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
