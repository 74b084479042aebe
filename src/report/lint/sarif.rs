//! SARIF 2.1.0, as GitHub code scanning accepts it: every rule in `tool.driver.rules` with its
//! documentation and `security-severity`, one result per finding, each with a location (a
//! catalog finding no migration statement names points at the last migration file) and a
//! partial fingerprint.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::lint::registry::RULES;
use crate::lint::{Diagnostic, Rule, Severity, Sources};
use crate::report::sarif::{self, Fingerprints, Region};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A rule's `security-severity`, from its default severity.
fn security_severity(s: Severity) -> String {
    sarif::security_severity(match s {
        Severity::Error => 8.0,
        Severity::Warning => 5.0,
        Severity::Info => 2.0,
    })
}

/// A lint rule as a SARIF `reportingDescriptor`: its documentation and `security-severity`.
pub fn rule_descriptor(r: &Rule) -> Value {
    json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": r.summary },
        "helpUri": crate::lint::diagnostic::doc_url(r.id),
        "help": { "text": r.doc_text(), "markdown": r.doc_text() },
        "defaultConfiguration": { "level": level(r.default_severity) },
        "properties": {
            "security-severity": security_severity(r.default_severity),
            "tags": ["security", "rls", "supabase"],
        },
    })
}

pub fn write(out: &mut dyn Write, diagnostics: &[Diagnostic], sources: &Sources) -> io::Result<()> {
    write_relative_to(out, diagnostics, sources, &sarif::repository_root())
}

/// [`write`] with artifact URIs relative to `base`.
pub fn write_relative_to(
    out: &mut dyn Write,
    diagnostics: &[Diagnostic],
    sources: &Sources,
    base: &std::path::Path,
) -> io::Result<()> {
    let rules: Vec<Value> = RULES.iter().map(|r| rule_descriptor(r)).collect();
    let fallback = sources.files.last().map(|f| f.path.as_str());
    let mut fingerprints = Fingerprints::default();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut text = format!("{}\nhelp: {}", d.message, d.help);
            let (file, region) = match &d.location {
                Some(l) => (
                    l.file.as_str(),
                    Region {
                        line: l.line,
                        column: l.column,
                        end_line: l.end_line,
                        end_column: l.end_column,
                    },
                ),
                None => {
                    text.push_str(
                        "\nno migration statement names this object: shown at the last migration",
                    );
                    (fallback.unwrap_or("rlsgate.toml"), Region::line(1))
                }
            };
            let location = sarif::location(file, &region, base);
            let uri = location["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let subject = d.object.clone().unwrap_or_else(|| {
                d.location
                    .as_ref()
                    .and_then(|l| sources.get(&l.file).map(|f| f.line_text(l.line)))
                    .map(|line| line.trim().to_string())
                    .unwrap_or_else(|| d.message.clone())
            });
            json!({
                "ruleId": d.rule,
                "ruleIndex": RULES.iter().position(|r| r.id == d.rule),
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [location],
                "partialFingerprints": fingerprints.next(d.rule, &uri, &subject),
                "properties": { "origin": d.origin, "object": d.object },
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &sarif::log(rules, results))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample;

    #[test]
    fn sarif_has_rules_and_located_results() {
        let out = sample();
        let mut buf = Vec::new();
        let cwd = std::env::current_dir().unwrap();
        super::write_relative_to(&mut buf, &out.diagnostics, &out.analysis.sources, &cwd).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().unwrap().len(),
            crate::lint::RULES.len()
        );
        let results = run["results"].as_array().unwrap();
        assert!(!results.is_empty());
        for r in results {
            let idx = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], r["ruleId"]);
            assert!(
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap()
                    >= 1
            );
        }
        insta::assert_snapshot!(serde_json::to_string_pretty(results).unwrap());
    }

    #[test]
    fn a_finding_without_a_location_points_at_the_last_migration() {
        let out = sample();
        let mut diagnostics = out.diagnostics.clone();
        diagnostics[0].location = None;
        let mut buf = Vec::new();
        let cwd = std::env::current_dir().unwrap();
        super::write_relative_to(&mut buf, &diagnostics, &out.analysis.sources, &cwd).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        let location = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "migrations/002_rpc.sql"
        );
        assert_eq!(location["region"], serde_json::json!({ "startLine": 1 }));
    }
}
