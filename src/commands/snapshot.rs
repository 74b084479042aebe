use std::io::Write;

use anyhow::Context;

use crate::cli::{GlobalArgs, SnapshotArgs, TestArgs, TestFormat};
use crate::spec::identities::{Identity, IDENTITIES_FILE};
use crate::spec::snapshot::{self, Held, Reality};
use crate::verdict::presumption::adversary;
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
    let dir = run.project.specs_dir();
    let files = snapshot::read_spec_files(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let target = snapshot::default_target(&dir, &files);
    let reality = Reality {
        observations: &run.matrix.observations,
        rows: &run.matrix.rows,
        identities: &run.matrix.identities,
        functions: &run.functions,
    };
    let held = if args.accept_suspicious {
        Vec::new()
    } else {
        Held::suspicious(&run.cells)
    };
    let mut plan = snapshot::plan_holding(files.clone(), &target, &reality, &held)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let inferred = run
        .matrix
        .inferred_tenancy
        .as_deref()
        .filter(|_| run.specs.tenancy().is_none() && !args.check);
    if let Some(section) = inferred {
        let current = plan
            .writes
            .iter()
            .position(|(p, _)| *p == target)
            .map(|i| plan.writes.remove(i).1)
            .or_else(|| {
                files
                    .iter()
                    .find(|f| f.path == target)
                    .map(|f| f.text.clone())
            })
            .unwrap_or_default();
        plan.writes
            .push((target.clone(), snapshot::with_tenancy(&current, section)));
    }
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
    if let Some((path, text)) = adversary_declaration(&dir, &run.identities) {
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        writeln!(
            out,
            "wrote {} (declares mallory, the first run's adversary)",
            path.display()
        )?;
    }
    if plan.writes.is_empty() {
        writeln!(out, "policy_specs/ already matches the database")?;
    }
    let accepted = run.cells.iter().filter(|c| c.suspicion.is_some()).count();
    if args.accept_suspicious && accepted > 0 {
        writeln!(
            out,
            "accepted {accepted} suspicious cell(s) as intended (--accept-suspicious): they are specs now"
        )?;
    }
    if !plan.held.is_empty() {
        writeln!(
            out,
            "held back {} suspicious cell(s): written commented out, with why, so `rlsgate test` fails on them until you fix them or declare them (`--accept-suspicious` writes them as specs):",
            plan.held.len()
        )?;
        for h in &plan.held {
            writeln!(
                out,
                "  ⚑ {} · {} · {}: {}",
                h.subject.display_name(),
                h.identity,
                h.action,
                h.reason
            )?;
        }
    }
    for cell in &plan.inconclusive {
        writeln!(
            out,
            "left as is: {} · {} · {} is {} ({})",
            cell.subject.display_name(),
            cell.identity,
            cell.action,
            if cell.outcome == crate::verdict::CellOutcome::PolicyError {
                "a policy error"
            } else {
                "inconclusive"
            },
            cell.detail
        )?;
    }
    Ok(Status::Clean)
}

/// identities.toml declaring the first run's adversary, when the run had her and the project
/// declares no identities yet (the specs written for her need an identity the next run knows).
pub(crate) fn adversary_declaration(
    dir: &std::path::Path,
    identities: &[Identity],
) -> Option<(std::path::PathBuf, String)> {
    let path = dir.join(IDENTITIES_FILE);
    let mallory = identities.iter().find(|i| i.name == adversary::MALLORY)?;
    (!path.exists()).then(|| (path, adversary::declaration(mallory)))
}
