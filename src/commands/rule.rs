use std::io::Write;

use crate::cli::RuleArgs;
use crate::lint::registry::{self, Scope, RULES};
use crate::Status;

pub fn run(args: &RuleArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let columns = crate::terminal::width();
    let Some(id) = &args.id else {
        let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
        for r in RULES {
            let scope = match r.scope {
                Scope::Static => "files",
                Scope::Both => "files+db",
            };
            let head = format!(
                "{:width$}  {:7}  {:8}  ",
                r.id,
                r.default_severity.as_str(),
                scope
            );
            let summary_width = columns.saturating_sub(head.len());
            if summary_width >= 30 {
                let hang = " ".repeat(head.len());
                write!(
                    out,
                    "{}",
                    crate::terminal::wrap_indented(r.summary, columns, &head, &hang)
                )?;
            } else {
                writeln!(out, "{}", head.trim_end())?;
                write!(
                    out,
                    "{}",
                    crate::terminal::wrap_indented(r.summary, columns, "    ", "    ")
                )?;
            }
        }
        writeln!(out, "\n`rlsgate rule <id>` prints a rule's documentation.")?;
        return Ok(Status::Clean);
    };
    let Some(rule) = registry::find(id) else {
        let best = RULES
            .iter()
            .map(|r| (strsim::jaro_winkler(r.id, id), r.id))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(s, _)| *s > 0.7)
            .map(|(_, r)| format!("; did you mean `{r}`?"))
            .unwrap_or_default();
        anyhow::bail!("unknown rule `{id}`{best} (`rlsgate rule` lists every rule)");
    };
    writeln!(out, "# {}\n", rule.id)?;
    let summary = format!(
        "{} (default severity: {})",
        rule.summary, rule.default_severity
    );
    writeln!(
        out,
        "{}",
        crate::terminal::wrap_indented(&summary, columns, "", "")
    )?;
    writeln!(out, "{}", reflow(&rule.doc_text(), columns))?;
    writeln!(out, "{}", crate::lint::diagnostic::doc_url(rule.id))?;
    Ok(Status::Clean)
}

/// A rule's Markdown documentation fitted to `width` columns: paragraphs and list items
/// re-wrapped, SQL in code fences wrapped only where it stays the same SQL.
fn reflow(doc: &str, width: usize) -> String {
    let mut out = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut hang = "";
    let flush = |paragraph: &mut Vec<&str>, hang: &str, out: &mut String| {
        if !paragraph.is_empty() {
            let text = paragraph.join(" ");
            let first = if hang.is_empty() { "" } else { "- " };
            let text = text.strip_prefix("- ").unwrap_or(&text);
            out.push_str(&crate::terminal::wrap_indented(text, width, first, hang));
            paragraph.clear();
        }
    };
    let mut in_code = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            flush(&mut paragraph, hang, &mut out);
            in_code = !in_code;
            out.push_str(line);
            out.push('\n');
        } else if in_code {
            for wrapped in crate::terminal::wrap_sql(line, width, 4) {
                out.push_str(&wrapped);
                out.push('\n');
            }
        } else if line.trim().is_empty() || line.starts_with('#') {
            flush(&mut paragraph, hang, &mut out);
            out.push_str(line);
            out.push('\n');
        } else if line.starts_with("- ") {
            flush(&mut paragraph, hang, &mut out);
            hang = "  ";
            paragraph.push(line);
        } else {
            if paragraph.is_empty() {
                hang = "";
            }
            paragraph.push(line.trim());
        }
    }
    flush(&mut paragraph, hang, &mut out);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_fits_80_columns() {
        for rule in crate::lint::RULES {
            let text = super::reflow(&rule.doc_text(), 80);
            for line in text.lines() {
                assert!(line.chars().count() <= 80, "{}: {line}", rule.id);
            }
            let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
            assert_eq!(words(&text), words(&rule.doc_text()), "{}", rule.id);
        }
    }
}
