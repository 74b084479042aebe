//! JUnit XML: one test suite per file, one failing test case per finding; a passing case when
//! there is nothing to report, so CI dashboards show the lint ran.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::lint::Diagnostic;

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub fn write(out: &mut dyn Write, diagnostics: &[Diagnostic]) -> io::Result<()> {
    let mut suites: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in diagnostics {
        suites
            .entry(d.file().unwrap_or("(database)"))
            .or_default()
            .push(d);
    }
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="rlsgate lint" tests="{}" failures="{}">"#,
        diagnostics.len().max(1),
        diagnostics.len()
    )?;
    if suites.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="rlsgate lint" tests="1" failures="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase name="no findings" classname="rlsgate.lint"/>"#
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    for (file, ds) in suites {
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}">"#,
            xml_escape(file),
            ds.len(),
            ds.len()
        )?;
        for d in ds {
            let at = d
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.file, l.line, l.column))
                .or_else(|| d.object.clone())
                .unwrap_or_default();
            writeln!(
                out,
                r#"    <testcase name="{}: {}" classname="rlsgate.lint.{}">"#,
                xml_escape(d.rule),
                xml_escape(&at),
                xml_escape(d.rule)
            )?;
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}&#10;help: {}&#10;{}</failure>"#,
                xml_escape(&d.message),
                d.severity,
                xml_escape(&at),
                xml_escape(&d.help),
                xml_escape(&d.doc_url())
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample;

    #[test]
    fn junit_xml() {
        let mut buf = Vec::new();
        super::write(&mut buf, &sample().diagnostics).unwrap();
        insta::assert_snapshot!(String::from_utf8(buf).unwrap());
    }

    #[test]
    fn empty_report_has_a_passing_case() {
        let mut buf = Vec::new();
        super::write(&mut buf, &[]).unwrap();
        let xml = String::from_utf8(buf).unwrap();
        assert!(xml.contains(r#"failures="0""#) && xml.contains("no findings"));
    }
}
