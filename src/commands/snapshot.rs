use std::io::Write;

use anyhow::Context;

use crate::cli::{GlobalArgs, SnapshotArgs, TestArgs, TestFormat};
use crate::spec::snapshot::{self, Reality};
use crate::Status;

/// Probe like `rlsgate test`, then write (or with `--check`, compare) policy_specs/.
pub fn run(
    global: &GlobalArgs,
    args: &SnapshotArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Status> {
    let test_args = TestArgs {
        format: TestFormat::Human,
        output: None,
        tables: Vec::new(),
        identities: Vec::new(),
        allow_unspecified: true,
        jobs: None,
        migrate: false,
        no_seed: false,
        partition: None,
    };
    let run = super::test::probe_and_judge(global, &test_args)?;
    let dir = run.project.specs_dir();
    let files = snapshot::read_spec_files(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let target = snapshot::default_target(&dir, &files);
    let reality = Reality {
        observations: &run.matrix.observations,
        rows: &run.matrix.rows,
        identities: &run.identities,
        functions: &run.functions,
    };
    let plan = snapshot::plan(files, &target, &reality).map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.check {
        snapshot::write_check(&plan, out)?;
        return Ok(if plan.is_clean() {
            Status::Clean
        } else {
            Status::Findings
        });
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (path, text) in &plan.writes {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    if plan.writes.is_empty() {
        writeln!(out, "policy_specs/ already matches the database")?;
    }
    for cell in &plan.inconclusive {
        writeln!(
            out,
            "left as is: {} · {} · {} is inconclusive ({})",
            cell.subject.display_name(),
            cell.identity,
            cell.action,
            cell.detail
        )?;
    }
    Ok(Status::Clean)
}
