//! rustc-style diagnostics: the source line with a caret, the help, the rule's doc link.

use std::io::{self, Write};

use annotate_snippets::{Level, Renderer, Snippet};

use super::{Style, Summary};
use crate::lint::{Diagnostic, Severity, Sources};

fn level(s: Severity) -> Level {
    match s {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Note,
    }
}

pub fn write(
    out: &mut dyn Write,
    diagnostics: &[Diagnostic],
    sources: &Sources,
    style: Style,
) -> io::Result<()> {
    let renderer = if style.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for d in diagnostics {
        let title = format!("{} [{}]", d.message, d.rule);
        let doc = format!("see {}", d.doc_url());
        let origin = match d.origin {
            crate::lint::Origin::Static => String::new(),
            crate::lint::Origin::Catalog => "found in the migrated database's catalog".to_string(),
        };
        let mut message = level(d.severity).title(&title);
        let snippet_text;
        let origin_text;
        if let Some(loc) = &d.location {
            if let Some(file) = sources
                .get(&loc.file)
                .filter(|f| !f.text.is_empty() && loc.end <= f.text.len())
            {
                let first = loc.line;
                let start_byte = file.text[..loc.start.min(file.text.len())]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                let end_byte = file.text[loc.end.min(file.text.len())..]
                    .find('\n')
                    .map_or(file.text.len(), |i| loc.end + i);
                snippet_text = &file.text[start_byte..end_byte];
                let span_start = loc.start - start_byte;
                let span_end = (loc.end - start_byte).max(span_start);
                let span_end = if span_end == span_start {
                    (span_start + 1).min(snippet_text.len())
                } else {
                    span_end
                };
                message = message.snippet(
                    Snippet::source(snippet_text)
                        .line_start(first as usize)
                        .origin(&loc.file)
                        .fold(true)
                        .annotation(level(d.severity).span(span_start..span_end.max(span_start))),
                );
            } else {
                origin_text = format!("at {}:{}:{}", loc.file, loc.line, loc.column);
                message = message.footer(Level::Note.title(&origin_text));
            }
        }
        if let Some(object) = &d.object {
            if d.location.is_none() {
                message = message.footer(Level::Note.title(object));
            }
        }
        if !origin.is_empty() {
            message = message.footer(Level::Note.title(&origin));
        }
        message = message
            .footer(Level::Help.title(&d.help))
            .footer(Level::Note.title(&doc));
        writeln!(out, "{}\n", renderer.render(message))?;
    }
    let s = Summary::of(diagnostics);
    if diagnostics.is_empty() {
        writeln!(out, "No findings.")
    } else {
        writeln!(
            out,
            "Found {} error{}, {} warning{}, {} note{}.",
            s.errors,
            if s.errors == 1 { "" } else { "s" },
            s.warnings,
            if s.warnings == 1 { "" } else { "s" },
            s.infos,
            if s.infos == 1 { "" } else { "s" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample;
    use super::*;

    #[test]
    fn renders_snippets_with_carets_help_and_links() {
        let out = sample();
        let mut buf = Vec::new();
        write(
            &mut buf,
            &out.diagnostics,
            &out.analysis.sources,
            Style { color: false },
        )
        .unwrap();
        insta::assert_snapshot!(String::from_utf8(buf).unwrap());
    }
}
