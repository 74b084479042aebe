//! The mutation report: terminal and JSON (a stable contract, see docs/mutate.md).

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use super::{MutantKind, MutantResult, Status, Summary, Witness};

#[derive(Serialize)]
struct JsonReport<'a> {
    summary: Summary,
    /// The baseline (the unmutated database) against the specs.
    baseline: crate::verdict::Summary,
    survivors: Vec<&'a MutantResult>,
    mutants: &'a [MutantResult],
    duration_ms: u64,
}

pub fn json(
    results: &[MutantResult],
    baseline: &crate::verdict::Summary,
    duration_ms: u64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let report = JsonReport {
        summary: Summary::of(results),
        baseline: *baseline,
        survivors: results
            .iter()
            .filter(|r| r.status == Status::Survived)
            .collect(),
        mutants: results,
        duration_ms,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

pub fn human(
    results: &[MutantResult],
    baseline: &crate::verdict::Summary,
    duration_ms: u64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut buf = Vec::new();
    render(results, baseline, duration_ms, &mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    if crate::spec::error::color_wanted() {
        out.write_all(text.as_bytes())
    } else {
        write!(out, "{}", anstream::adapter::strip_str(&text))
    }
}

fn render(
    results: &[MutantResult],
    baseline: &crate::verdict::Summary,
    duration_ms: u64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let bold = Style::new().bold();
    let red = AnsiColor::Red.on_default().bold();
    let green = AnsiColor::Green.on_default();
    let dim = Style::new().dimmed();
    if baseline.failed + baseline.inconclusive > 0 {
        writeln!(
            out,
            "{red}warning{red:#}: without mutants the gate already fails ({baseline}); those cells cannot catch anything.\n"
        )?;
    }

    let mut by_kind: BTreeMap<MutantKind, [usize; 5]> = BTreeMap::new();
    for r in results {
        let slot = by_kind.entry(r.mutant.kind).or_default();
        slot[match r.status {
            Status::Killed => 0,
            Status::Survived => 1,
            Status::Equivalent => 2,
            Status::Inconclusive => 3,
            Status::Invalid => 4,
        }] += 1;
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "mutant",
        "total",
        "killed",
        "survived",
        "equivalent",
        "inconclusive",
        "invalid",
    ]);
    for (kind, counts) in &by_kind {
        let total: usize = counts.iter().sum();
        table.add_row([
            kind.as_str().to_string(),
            total.to_string(),
            counts[0].to_string(),
            counts[1].to_string(),
            counts[2].to_string(),
            counts[3].to_string(),
            counts[4].to_string(),
        ]);
    }
    writeln!(out, "{table}")?;

    let survivors: Vec<&MutantResult> = results
        .iter()
        .filter(|r| r.status == Status::Survived)
        .collect();
    if !survivors.is_empty() {
        writeln!(
            out,
            "\n{bold}survived{bold:#} (the specs do not notice; each is a gap):"
        )?;
        for r in &survivors {
            line(out, r, red)?;
            if let Some(w) = &r.cell {
                writeln!(out, "      would be caught by {}", witness_text(w))?;
            }
        }
    }
    let equivalent: Vec<&MutantResult> = results
        .iter()
        .filter(|r| r.status == Status::Equivalent)
        .collect();
    if !equivalent.is_empty() {
        writeln!(
            out,
            "\n{bold}equivalent{bold:#} (no probe sees a difference with these identities and rows; a fixture or identity may be missing):"
        )?;
        for r in &equivalent {
            line(out, r, dim)?;
            if let Some(beyond) = &r.beyond {
                writeln!(out, "      {red}beyond the matrix{red:#}: {beyond}")?;
            }
            if r.mutant.kind == MutantKind::DropPolicy {
                writeln!(
                    out,
                    "      no probe needs this policy: it is redundant, or what it allows is never tried (a missing fixture, identity or probe)"
                )?;
            }
        }
    }
    let inconclusive: Vec<&MutantResult> = results
        .iter()
        .filter(|r| r.status == Status::Inconclusive)
        .collect();
    if !inconclusive.is_empty() {
        writeln!(
            out,
            "\n{bold}inconclusive{bold:#} (the probes that could notice these hit errors; no evidence either way):"
        )?;
        for r in &inconclusive {
            line(out, r, red)?;
            if let Some(w) = &r.cell {
                writeln!(out, "      {}: {}", witness_text(w), w.detail)?;
            }
        }
    }
    let invalid: Vec<&MutantResult> = results
        .iter()
        .filter(|r| r.status == Status::Invalid)
        .collect();
    if !invalid.is_empty() {
        writeln!(out, "\n{bold}invalid{bold:#} (the statement failed):")?;
        for r in &invalid {
            line(out, r, dim)?;
            writeln!(out, "      {}", r.error.as_deref().unwrap_or_default())?;
        }
    }
    let beyond = results.iter().filter(|r| r.beyond.is_some()).count();
    if beyond > 0 {
        writeln!(
            out,
            "\n{beyond} equivalent mutant(s) let an unfiltered UPDATE or DELETE reach rows beyond the spec; the probes filter on a key, so `rlsgate test` cannot see this."
        )?;
    }
    let s = Summary::of(results);
    let style = if s.survived + s.inconclusive > 0 {
        red
    } else {
        green
    };
    writeln!(
        out,
        "\n{style}{} mutants, {} killed, {} survived{style:#}, {} equivalent, {} inconclusive, {} invalid ({:.1} s)",
        s.total,
        s.killed,
        s.survived,
        s.equivalent,
        s.inconclusive,
        s.invalid,
        duration_ms as f64 / 1000.0
    )
}

fn line(out: &mut dyn Write, r: &MutantResult, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "  {style}{:<5}{style:#} {} {}\n      {}",
        r.mutant.id,
        r.mutant.kind.verb(),
        r.mutant.subject,
        r.mutant.sql
    )
}

/// `profiles × anon × select: spec says unspecified, observed none → all`
pub fn witness_text(w: &Witness) -> String {
    format!(
        "{} × {} × {}: spec says {}, observed {} → {}",
        w.subject.display_name(),
        w.identity,
        w.action,
        w.expected,
        w.before,
        w.after
    )
}
