use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::cli::{MergeArgs, Partition};
use crate::report::matrix::{self as report, Report, RunMeta};
use crate::verdict::{Action, Cell, Subject};
use crate::Status;

pub fn run(args: &MergeArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let mut reports = Vec::new();
    for path in &args.reports {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let report = report::read(&text).with_context(|| format!("{}", path.display()))?;
        reports.push((path.clone(), report));
    }
    let merged = merge(reports)?;
    super::test::write_report(
        args.format,
        args.output.as_deref(),
        &args.also,
        &merged.cells,
        &merged.meta,
        out,
    )
}

/// The inputs combined: each cell exactly once, relations (in table order) before functions.
pub struct Merged {
    pub cells: Vec<Cell>,
    pub meta: RunMeta,
}

/// One report from many: the cells of every input in table order (as a single run orders
/// them) and each catalog lint finding once, after checking that the inputs are the shares of one partitioned run, or at least
/// never judge the same cell twice.
pub fn merge(reports: Vec<(PathBuf, Report)>) -> anyhow::Result<Merged> {
    let Some((first_path, first)) = reports.first() else {
        bail!("no reports to merge");
    };
    check_shares(&reports)?;
    for (path, report) in &reports[1..] {
        if report.meta.allow_unspecified != first.meta.allow_unspecified {
            bail!(
                "{} was run with{} --allow-unspecified and {} with{}: run every share with the same flags",
                first_path.display(),
                if first.meta.allow_unspecified { "" } else { "out" },
                path.display(),
                if report.meta.allow_unspecified { "" } else { "out" },
            );
        }
    }

    let mut meta = first.meta.clone();
    meta.partition = None;
    meta.duration_ms = reports.iter().filter_map(|(_, r)| r.meta.duration_ms).max();
    meta.started_at = reports
        .iter()
        .filter_map(|(_, r)| r.meta.started_at.clone())
        .min();

    // Every share lints the same whole catalog: each finding once.
    meta.lint = Vec::new();
    for (_, report) in &reports {
        for finding in &report.meta.lint {
            if !meta.lint.contains(finding) {
                meta.lint.push(finding.clone());
            }
        }
    }

    // Each share places its own cells; the fallback file is the same in all.
    meta.places = Default::default();
    for (_, report) in &reports {
        meta.places.extend(&report.meta.places);
    }

    // A partitioned run judges functions in share 1 only; whole runs each judge them all.
    let mut seen: HashMap<(Subject, String, Action), &Path> = HashMap::new();
    let mut cells: Vec<Cell> = Vec::new();
    for (path, report) in &reports {
        for cell in report.all_cells() {
            let key = (cell.subject.clone(), cell.identity.clone(), cell.action);
            if let Some(other) = seen.insert(key, path) {
                bail!(
                    "{} · {} · {} is judged in both {} and {}: merge the shares of one partitioned run (--partition K/N), each once",
                    cell.subject.display_name(),
                    cell.identity,
                    cell.action,
                    other.display(),
                    path.display()
                );
            }
            cells.push(cell.clone());
        }
    }
    cells.sort_by(|a, b| a.subject.cmp(&b.subject));
    Ok(Merged { cells, meta })
}

/// Partitioned inputs must be all the shares 1..N of the same N, each once, so a forgotten
/// CI runner cannot make the merged gate pass.
fn check_shares(reports: &[(PathBuf, Report)]) -> anyhow::Result<()> {
    let mut shares: BTreeMap<usize, &Path> = BTreeMap::new();
    let mut total: Option<(usize, &Path)> = None;
    let mut whole: Option<&Path> = None;
    for (path, report) in reports {
        let Some(text) = &report.meta.partition else {
            whole = Some(path);
            continue;
        };
        let share: Partition = text
            .parse()
            .map_err(|e: String| anyhow::anyhow!("{}: meta.partition: {e}", path.display()))?;
        match total {
            Some((n, other)) if n != share.total => bail!(
                "{} is share {share} but {} is a share of {n}: merge the shares of one partitioned run",
                path.display(),
                other.display()
            ),
            _ => total = Some((share.total, path)),
        }
        if let Some(other) = shares.insert(share.index, path) {
            bail!(
                "{} and {} are both share {share}",
                other.display(),
                path.display()
            );
        }
    }
    let Some((n, _)) = total else {
        return Ok(());
    };
    if let Some(whole) = whole {
        bail!(
            "{} is a whole run, the others are shares of --partition K/{n}: merge only the shares",
            whole.display()
        );
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| !shares.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "missing share{} {} of --partition K/{n}: pass the JSON report of every runner",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        );
    }
    Ok(())
}
