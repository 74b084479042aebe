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
    render(
        results,
        baseline,
        duration_ms,
        crate::terminal::width(),
        &mut buf,
    )?;
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
    width: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    use crate::terminal::wrap_indented;
    let bold = Style::new().bold();
    let red = AnsiColor::Red.on_default().bold();
    let green = AnsiColor::Green.on_default();
    let dim = Style::new().dimmed();
    if baseline.failed + baseline.inconclusive > 0 {
        let text = format!(
            "without mutants the gate already fails ({baseline}); those cells cannot catch anything."
        );
        let first = format!("{red}warning{red:#}: ");
        let wrapped = wrap_indented(&format!("warning: {text}"), width, "", "");
        writeln!(out, "{}", wrapped.replacen("warning: ", &first, 1))?;
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
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX));
    // Inconclusive and invalid columns only when some mutant is: seven columns do not fit
    // 80 columns, and the summary line below counts them anyway.
    let names = [
        "killed",
        "survived",
        "equivalent",
        "inconclusive",
        "invalid",
    ];
    let shown: Vec<usize> = (0..names.len())
        .filter(|&i| i < 3 || by_kind.values().any(|counts| counts[i] > 0))
        .collect();
    let mut header = vec!["mutant", "total"];
    header.extend(shown.iter().map(|&i| names[i]));
    table.set_header(header);
    for (kind, counts) in &by_kind {
        let total: usize = counts.iter().sum();
        let mut row = vec![kind.as_str().to_string(), total.to_string()];
        row.extend(shown.iter().map(|&i| counts[i].to_string()));
        table.add_row(row);
    }
    writeln!(out, "{table}")?;

    let survivors: Vec<&MutantResult> = results
        .iter()
        .filter(|r| r.status == Status::Survived)
        .collect();
    if !survivors.is_empty() {
        heading(
            out,
            bold,
            "survived",
            "(the specs do not notice; each is a gap):",
            width,
        )?;
        for r in &survivors {
            line(out, r, red, width)?;
            if let Some(w) = &r.cell {
                let text = format!("would be caught by {}", witness_text(w));
                write!(out, "{}", wrap_indented(&text, width, "      ", "        "))?;
            }
        }
    }
    let equivalent: Vec<&MutantResult> = results
        .iter()
        .filter(|r| r.status == Status::Equivalent)
        .collect();
    if !equivalent.is_empty() {
        heading(
            out,
            bold,
            "equivalent",
            "(no probe sees a difference with these identities and rows; a fixture or identity may be missing):",
            width,
        )?;
        for r in &equivalent {
            line(out, r, dim, width)?;
            if let Some(beyond) = &r.beyond {
                let text = wrap_indented(
                    &format!("beyond the matrix: {beyond}"),
                    width,
                    "      ",
                    "        ",
                );
                write!(
                    out,
                    "{}",
                    text.replacen(
                        "beyond the matrix",
                        &format!("{red}beyond the matrix{red:#}"),
                        1
                    )
                )?;
            }
            if r.mutant.kind == MutantKind::DropPolicy {
                write!(
                    out,
                    "{}",
                    wrap_indented(
                        "no probe needs this policy: it is redundant, or what it allows is never tried (a missing fixture, identity or probe)",
                        width,
                        "      ",
                        "        "
                    )
                )?;
            }
        }
    }
    let inconclusive: Vec<&MutantResult> = results
        .iter()
        .filter(|r| r.status == Status::Inconclusive)
        .collect();
    if !inconclusive.is_empty() {
        heading(
            out,
            bold,
            "inconclusive",
            "(the probes that could notice these hit errors; no evidence either way):",
            width,
        )?;
        for r in &inconclusive {
            line(out, r, red, width)?;
            if let Some(w) = &r.cell {
                let text = format!("{}: {}", witness_text(w), w.detail);
                write!(out, "{}", wrap_indented(&text, width, "      ", "        "))?;
            }
        }
    }
    let invalid: Vec<&MutantResult> = results
        .iter()
        .filter(|r| r.status == Status::Invalid)
        .collect();
    if !invalid.is_empty() {
        heading(out, bold, "invalid", "(the statement failed):", width)?;
        for r in &invalid {
            line(out, r, dim, width)?;
            let error = r.error.as_deref().unwrap_or_default();
            write!(out, "{}", wrap_indented(error, width, "      ", "        "))?;
        }
    }
    let beyond = results.iter().filter(|r| r.beyond.is_some()).count();
    if beyond > 0 {
        let text = format!(
            "{beyond} equivalent mutant(s) let an unfiltered UPDATE or DELETE reach rows beyond the spec; the probes filter on a key, so `rlsgate test` cannot see this."
        );
        write!(out, "\n{}", wrap_indented(&text, width, "", ""))?;
    }
    let s = Summary::of(results);
    let style = if s.survived + s.inconclusive > 0 {
        red
    } else {
        green
    };
    let verdict = format!(
        "{} mutants, {} killed, {} survived",
        s.total, s.killed, s.survived
    );
    let text = format!(
        "{verdict}, {} equivalent, {} inconclusive, {} invalid ({:.1} s)",
        s.equivalent,
        s.inconclusive,
        s.invalid,
        duration_ms as f64 / 1000.0
    );
    let wrapped = wrap_indented(&text, width, "", "");
    write!(
        out,
        "\n{}",
        wrapped.replacen(&verdict, &format!("{style}{verdict}{style:#}"), 1)
    )
}

/// `\nname (explanation):` wrapped to `width`, the name in `style`.
fn heading(
    out: &mut dyn Write,
    style: Style,
    name: &str,
    explanation: &str,
    width: usize,
) -> io::Result<()> {
    let text = crate::terminal::wrap_indented(&format!("{name} {explanation}"), width, "", "  ");
    write!(out, "\n{style}{name}{style:#}{}", &text[name.len()..])
}

/// `  M4    what the mutant does` and its SQL below, both wrapped to `width`.
fn line(out: &mut dyn Write, r: &MutantResult, style: Style, width: usize) -> io::Result<()> {
    let what = format!("{} {}", r.mutant.kind.verb(), r.mutant.subject);
    let id = format!("{:<5}", r.mutant.id);
    let text = crate::terminal::wrap_indented(&what, width, "  ----- ", "        ");
    write!(
        out,
        "{}",
        text.replacen("-----", &format!("{style}{id}{style:#}"), 1)
    )?;
    for sql in crate::terminal::wrap_sql(&format!("      {}", r.mutant.sql), width, 2) {
        writeln!(out, "{sql}")?;
    }
    Ok(())
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
