//! GitLab Code Quality (`artifacts:reports:codequality`): a JSON array of CodeClimate issues,
//! each with a fingerprint that survives edits above it and a path relative to the repository.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::lint::{Diagnostic, Severity, Sources};
use crate::report::sarif::{self, Fingerprints};

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

pub fn write(out: &mut dyn Write, diagnostics: &[Diagnostic], sources: &Sources) -> io::Result<()> {
    write_relative_to(out, diagnostics, sources, &sarif::repository_root())
}

/// [`write`] with paths relative to `base`.
pub fn write_relative_to(
    out: &mut dyn Write,
    diagnostics: &[Diagnostic],
    sources: &Sources,
    base: &std::path::Path,
) -> io::Result<()> {
    let fallback = sources
        .files
        .last()
        .map_or("rlsgate.toml", |f| f.path.as_str());
    let mut fingerprints = Fingerprints::default();
    let issues: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let (file, line) = d
                .location
                .as_ref()
                .map_or((fallback, 1), |l| (l.file.as_str(), l.line.max(1)));
            let path = sarif::repository_path(file, base);
            let subject = d.object.clone().unwrap_or_else(|| d.message.clone());
            json!({
                "type": "issue",
                "check_name": d.rule,
                "description": format!("{} ({})", d.message, d.rule),
                "content": { "body": format!("{}\n\n{}", d.help, d.doc_url()) },
                "categories": ["Security"],
                "severity": severity(d.severity),
                "fingerprint": fingerprints.next_text(d.rule, &path, &subject),
                "location": { "path": path, "lines": { "begin": line } },
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample;

    #[test]
    fn code_quality_issues() {
        let out = sample();
        let mut buf = Vec::new();
        let cwd = std::env::current_dir().unwrap();
        super::write_relative_to(&mut buf, &out.diagnostics, &out.analysis.sources, &cwd).unwrap();
        let issues: Vec<serde_json::Value> = serde_json::from_slice(&buf).unwrap();
        assert_eq!(issues.len(), out.diagnostics.len());
        let first = &issues[0];
        assert_eq!(first["check_name"], "rls-disabled");
        assert_eq!(first["severity"], "critical");
        assert_eq!(first["location"]["path"], "migrations/001_init.sql");
        assert_eq!(first["location"]["lines"]["begin"], 1);
        let mut fingerprints: Vec<&str> = issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        fingerprints.sort_unstable();
        fingerprints.dedup();
        assert_eq!(fingerprints.len(), issues.len(), "unique fingerprints");
    }
}
