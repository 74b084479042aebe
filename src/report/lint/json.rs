//! JSON: `{"version": 1, "summary": {...}, "diagnostics": [{rule, severity, origin, file, line,
//! column, end_line, end_column, object, message, help, doc_url}]}`. Fields are only added,
//! never renamed; `file` and positions are null for catalog findings with no known source.

use std::io::{self, Write};

use serde::Serialize;

use super::Summary;
use crate::lint::{Diagnostic, Origin, Severity};

#[derive(Serialize)]
struct Record<'a> {
    rule: &'a str,
    severity: Severity,
    origin: Origin,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    object: Option<&'a str>,
    message: &'a str,
    help: &'a str,
    doc_url: String,
}

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    summary: Summary,
    diagnostics: Vec<Record<'a>>,
}

pub fn write(out: &mut dyn Write, diagnostics: &[Diagnostic]) -> io::Result<()> {
    let report = Report {
        version: 1,
        summary: Summary::of(diagnostics),
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let loc = d.location.as_ref();
                Record {
                    rule: d.rule,
                    severity: d.severity,
                    origin: d.origin,
                    file: loc.map(|l| l.file.as_str()),
                    line: loc.map(|l| l.line),
                    column: loc.map(|l| l.column),
                    end_line: loc.map(|l| l.end_line),
                    end_column: loc.map(|l| l.end_column),
                    object: d.object.as_deref(),
                    message: &d.message,
                    help: &d.help,
                    doc_url: d.doc_url(),
                }
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample;

    #[test]
    fn stable_json_records() {
        let mut buf = Vec::new();
        super::write(&mut buf, &sample().diagnostics).unwrap();
        insta::assert_snapshot!(String::from_utf8(buf).unwrap());
    }
}
