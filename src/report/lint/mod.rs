//! Lint reports: one file per format, each a view of the same [`Diagnostic`] records, each
//! writing to any `io::Write`.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use std::io::{self, Write};

use crate::cli::LintFormat;
use crate::lint::{Diagnostic, Severity, Sources};

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of(diagnostics: &[Diagnostic]) -> Summary {
        let mut s = Summary::default();
        for d in diagnostics {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }
}

/// Options the human format needs; the others ignore them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

pub fn write(
    format: LintFormat,
    out: &mut dyn Write,
    diagnostics: &[Diagnostic],
    sources: &Sources,
    style: Style,
) -> io::Result<()> {
    match format {
        LintFormat::Human => human::write(out, diagnostics, sources, style),
        LintFormat::Json => json::write(out, diagnostics),
        LintFormat::Sarif => sarif::write(out, diagnostics, sources),
        LintFormat::Github => github::write(out, diagnostics),
        LintFormat::Gitlab => gitlab::write(out, diagnostics, sources),
        LintFormat::Junit => junit::write(out, diagnostics),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::lint::{lint_sources, Config, LintOutput, SourceFile};

    pub fn sample() -> LintOutput {
        let files = vec![
            SourceFile::new(
                "migrations/001_init.sql",
                "create table public.notes (id int, owner uuid);\ncreate policy \"own notes\" on notes for select to authenticated\n  using (auth.uid() = owner);\n",
            ),
            SourceFile::new("migrations/002_rpc.sql", "do $$ begin perform 1; end $$;\n"),
        ];
        lint_sources(files, &Config::default())
    }
}
