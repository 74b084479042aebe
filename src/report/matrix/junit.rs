//! JUnit XML: a testsuite per table, a testcase per cell. Failed and suspicious cells are
//! `<failure>`, inconclusive ones `<error>`, unspecified ones `<failure>` (or `<skipped>` under
//! `--allow-unspecified` and in a run without specs). Catalog lint errors, which fail the gate
//! too, are failing cases of a `catalog lint` suite; its warnings are that suite's output.

use std::io::{self, Write};

use super::{Grid, RunMeta};
use crate::verdict::{Cell, CellOutcome, Summary};

pub fn write(
    cells: &[Cell],
    summary: &Summary,
    meta: &RunMeta,
    out: &mut dyn Write,
) -> io::Result<()> {
    let grid = Grid::new(cells);
    let unspecified_fails = !meta.allow_unspecified;
    let counts = |outcomes: &mut dyn Iterator<Item = CellOutcome>| {
        let (mut failures, mut errors, mut skipped, mut tests) = (0, 0, 0, 0);
        for outcome in outcomes {
            tests += 1;
            match outcome {
                CellOutcome::Fail | CellOutcome::Suspicious => failures += 1,
                CellOutcome::Unspecified if unspecified_fails => failures += 1,
                CellOutcome::Unspecified => skipped += 1,
                CellOutcome::Inconclusive | CellOutcome::PolicyError => errors += 1,
                CellOutcome::Pass => {}
            }
        }
        (tests, failures, errors, skipped)
    };
    let (tests, failures, errors, skipped) = counts(&mut cells.iter().map(|c| c.outcome));
    debug_assert_eq!(tests, summary.cells);
    let lint_errors = meta.lint.iter().filter(|f| f.is_error()).count();
    let (tests, failures) = (tests + lint_errors, failures + lint_errors);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="rlsgate access matrix" tests="{tests}" failures="{failures}" errors="{errors}" skipped="{skipped}">"#
    )?;
    for table in &grid.tables {
        let (tests, failures, errors, skipped) = counts(&mut table.cells().map(|c| c.outcome));
        let classname = table.table.to_string();
        let suite = xml(&classname);
        writeln!(
            out,
            r#"  <testsuite name="{suite}" tests="{tests}" failures="{failures}" errors="{errors}" skipped="{skipped}">"#
        )?;
        for cell in table.cells() {
            let name = format!("{} {}", cell.identity, cell.action);
            testcase(&classname, &name, cell, meta, out)?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    // EXECUTE cells, then what the calls reach past RLS
    for (suite, action) in [
        ("functions", crate::verdict::Action::Execute),
        ("function calls", crate::verdict::Action::Call),
    ] {
        let functions: Vec<&Cell> = cells
            .iter()
            .filter(|c| c.subject.is_function() && c.action == action)
            .collect();
        if functions.is_empty() {
            continue;
        }
        let (tests, failures, errors, skipped) = counts(&mut functions.iter().map(|c| c.outcome));
        writeln!(
            out,
            r#"  <testsuite name="{suite}" tests="{tests}" failures="{failures}" errors="{errors}" skipped="{skipped}">"#
        )?;
        for cell in functions {
            let name = format!("{} {} {}", cell.subject, cell.identity, cell.action);
            testcase(suite, &name, cell, meta, out)?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    if !meta.lint.is_empty() {
        write_lint(&meta.lint, out)?;
    }
    writeln!(out, "</testsuites>")
}

/// One `<testcase>`: a failed or suspicious cell is a `<failure>`, an inconclusive one an
/// `<error>`, an unspecified one a `<failure>` or (when allowed) `<skipped>`; one that is not a
/// pass has the `file` and `line` where the finding shows (test-report actions annotate them).
fn testcase(
    classname: &str,
    name: &str,
    cell: &Cell,
    meta: &RunMeta,
    out: &mut dyn Write,
) -> io::Result<()> {
    let unspecified_fails = !meta.allow_unspecified;
    let mut open = format!(
        r#"    <testcase classname="{}" name="{}""#,
        xml(classname),
        xml(name)
    );
    if let Some(place) = meta.places.of(cell).first() {
        open.push_str(&format!(
            r#" file="{}" line="{}""#,
            xml(&place.file),
            place.line
        ));
    }
    let element = |kind: &str, tag: &str, message: &str, body: &str, out: &mut dyn Write| {
        writeln!(out, "{open}>")?;
        writeln!(
            out,
            r#"      <{tag} message="{}" type="{kind}">{}</{tag}>"#,
            xml(message),
            xml_text(&failure_body(cell, body))
        )?;
        writeln!(out, "    </testcase>")
    };
    match cell.outcome {
        CellOutcome::Pass => writeln!(out, "{open}/>"),
        CellOutcome::Fail => {
            let message = format!("expected {}, got {}", cell.expected, cell.actual);
            element("fail", "failure", &message, &message, out)
        }
        CellOutcome::Unspecified => {
            let (message, body) = if cell.subject.is_function() {
                (
                    format!("unspecified: the database does {}", cell.actual),
                    format!("expected {}, got {}", cell.expected, cell.actual),
                )
            } else {
                let message = format!("unspecified: the database allows {}", cell.actual);
                (message.clone(), message)
            };
            if unspecified_fails {
                element("unspecified", "failure", &message, &body, out)
            } else {
                writeln!(out, "{open}>")?;
                writeln!(out, r#"      <skipped message="{}"/>"#, xml(&message))?;
                writeln!(out, "    </testcase>")
            }
        }
        CellOutcome::Suspicious => {
            let suspicion = cell.suspicion.as_ref();
            let message = format!(
                "suspicious ({}): {}",
                suspicion.map_or("", |s| s.breach.as_str()),
                suspicion.map_or(String::new(), |s| s.reason.clone())
            );
            let body = suspicion.map_or_else(|| message.clone(), |s| s.text());
            element("suspicious", "failure", &message, &body, out)
        }
        CellOutcome::Inconclusive => element(
            "inconclusive",
            "error",
            &format!("inconclusive: expected {}", cell.expected),
            "the probe did not test the policy",
            out,
        ),
        CellOutcome::PolicyError => element(
            "policy error",
            "error",
            &format!("policy error: expected {}", cell.expected),
            &cell.detail,
            out,
        ),
    }
}

/// The `catalog lint` suite: a failing case per error, the warnings as its output.
fn write_lint(findings: &[super::LintFinding], out: &mut dyn Write) -> io::Result<()> {
    let errors: Vec<_> = findings.iter().filter(|f| f.is_error()).collect();
    writeln!(
        out,
        r#"  <testsuite name="catalog lint" tests="{0}" failures="{0}" errors="0" skipped="0">"#,
        errors.len()
    )?;
    for finding in &errors {
        let place = finding
            .file
            .as_ref()
            .map(|f| format!(" {f}:{}", finding.line))
            .unwrap_or_default();
        writeln!(
            out,
            r#"    <testcase classname="catalog lint" name="{}"{}>"#,
            xml(&format!("{}{place}", finding.rule)),
            finding
                .file
                .as_ref()
                .map(|f| format!(r#" file="{}" line="{}""#, xml(f), finding.line))
                .unwrap_or_default()
        )?;
        writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            xml(&finding.message),
            xml(&finding.rule),
            xml_text(&finding.one_line())
        )?;
        writeln!(out, "    </testcase>")?;
    }
    let warnings: Vec<String> = findings
        .iter()
        .filter(|f| !f.is_error())
        .map(|f| f.one_line())
        .collect();
    if !warnings.is_empty() {
        writeln!(
            out,
            "    <system-out>{}</system-out>",
            xml_text(&warnings.join("\n"))
        )?;
    }
    writeln!(out, "  </testsuite>")
}

fn failure_body(cell: &Cell, message: &str) -> String {
    let mut body = format!(
        "{} · {} · {}: {message}",
        cell.subject.display_name(),
        cell.identity,
        cell.action
    );
    if !cell.detail.is_empty() {
        body.push('\n');
        body.push_str(&cell.detail);
    }
    for probe in &cell.probes {
        body.push_str(&format!(
            "\nprobe {}: {}",
            probe.target,
            probe_text(&probe.outcome)
        ));
    }
    body
}

pub(crate) fn probe_text(outcome: &crate::matrix::Outcome) -> String {
    use crate::matrix::Outcome::*;
    match outcome {
        Allowed { rows: 1 } => "allowed (1 row)".to_string(),
        Allowed { rows } => format!("allowed ({rows} rows)"),
        Filtered => "filtered (0 rows)".to_string(),
        DeniedRls { message } | DeniedPrivilege { message } => {
            format!("{} ({message})", outcome.short())
        }
        Inconclusive { sqlstate, message } => format!("inconclusive ({sqlstate}: {message})"),
        PolicyError { sqlstate, message } => format!("policy error ({sqlstate}: {message})"),
    }
}

/// Escape for XML text: newlines stay.
fn xml_text(s: &str) -> String {
    s.split('\n').map(xml).collect::<Vec<_>>().join("\n")
}

/// Escape for XML attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}
