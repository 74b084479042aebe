//! GitHub Actions workflow commands: `::error file=...,line=...,col=...::message`.

use std::io::{self, Write};

use crate::lint::{Diagnostic, Severity};

pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(out: &mut dyn Write, diagnostics: &[Diagnostic]) -> io::Result<()> {
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(l) = &d.location {
            props.push(format!("file={}", escape_property(&l.file)));
            props.push(format!("line={}", l.line));
            props.push(format!("col={}", l.column));
            props.push(format!("endLine={}", l.end_line));
            props.push(format!("endColumn={}", l.end_column));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("rlsgate {}", d.rule))
        ));
        let body = format!("{}\nhelp: {}\n{}", d.message, d.help, d.doc_url());
        writeln!(
            out,
            "::{command} {}::{}",
            props.join(","),
            escape_data(&body)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample;

    #[test]
    fn workflow_commands() {
        let mut buf = Vec::new();
        super::write(&mut buf, &sample().diagnostics).unwrap();
        insta::assert_snapshot!(String::from_utf8(buf).unwrap());
    }

    #[test]
    fn escapes_newlines_and_separators() {
        assert_eq!(super::escape_property("a,b:c\n%"), "a%2Cb%3Ac%0A%25");
    }
}
