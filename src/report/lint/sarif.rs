//! SARIF 2.1.0, as GitHub code scanning accepts it: every rule in `tool.driver.rules` with its
//! documentation, one result per finding.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::lint::registry::RULES;
use crate::lint::{Diagnostic, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn write(out: &mut dyn Write, diagnostics: &[Diagnostic]) -> io::Result<()> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "helpUri": crate::lint::registry::doc_url(r.id),
                "help": { "text": r.doc_text(), "markdown": r.doc_text() },
                "defaultConfiguration": { "level": level(r.default_severity) },
            })
        })
        .collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut result = json!({
                "ruleId": d.rule,
                "ruleIndex": RULES.iter().position(|r| r.id == d.rule),
                "level": level(d.severity),
                "message": { "text": format!("{}\nhelp: {}", d.message, d.help) },
                "properties": { "origin": d.origin, "object": d.object },
            });
            if let Some(l) = &d.location {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": l.file.replace('\\', "/") },
                        "region": {
                            "startLine": l.line,
                            "startColumn": l.column,
                            "endLine": l.end_line,
                            "endColumn": l.end_column.max(if l.end_line == l.line { l.column + 1 } else { 1 }),
                        }
                    }
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "rlsgate",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/rlsgate/rlsgate",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample;

    #[test]
    fn sarif_has_rules_and_located_results() {
        let mut buf = Vec::new();
        super::write(&mut buf, &sample().diagnostics).unwrap();
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
}
