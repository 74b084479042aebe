//! SARIF 2.1.0 of `rlsgate test`, as GitHub code scanning accepts it: a rule per kind of cell
//! failure (`access-widened`, `access-narrowed`, `inconclusive`, ...) and per catalog lint
//! rule, each with `security-severity`; a result per cell that fails the gate and per catalog
//! lint finding, shown at its first place (the statement that opens the access, the spec line
//! that declares it, the `create table`), the other places as related locations; partial
//! fingerprints from the cell, never from a line number.

use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Value};

use super::findings::{findings, CellRule, Finding, Kind, Level};
use super::places::Place;
use super::RunMeta;
use crate::report::sarif::{self, Fingerprints, Region};
use crate::verdict::Cell;

pub fn write(cells: &[Cell], meta: &RunMeta, out: &mut dyn Write) -> io::Result<()> {
    write_relative_to(cells, meta, out, &sarif::repository_root())
}

/// [`write`] with artifact URIs relative to `base`.
pub fn write_relative_to(
    cells: &[Cell],
    meta: &RunMeta,
    out: &mut dyn Write,
    base: &Path,
) -> io::Result<()> {
    let found = findings(cells, meta);
    let mut rules: Vec<Value> = CellRule::ALL.iter().map(|r| cell_rule(*r)).collect();
    let mut ids: Vec<String> = CellRule::ALL.iter().map(|r| r.id().to_string()).collect();
    for finding in &found {
        let id = finding.kind.id();
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_string());
            rules.push(lint_rule(id));
        }
    }
    let mut fingerprints = Fingerprints::default();
    let results: Vec<Value> = found
        .iter()
        .map(|finding| result(finding, &ids, base, &mut fingerprints))
        .collect();
    let mut log = sarif::log(rules, results);
    log["runs"][0]["properties"] = json!({
        "summary": super::Summary::of(cells).to_string(),
        "allowUnspecified": meta.allow_unspecified,
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn cell_rule(rule: CellRule) -> Value {
    json!({
        "id": rule.id(),
        "name": rule.name(),
        "shortDescription": { "text": rule.summary() },
        "fullDescription": { "text": rule.summary() },
        "helpUri": format!("{}/blob/main/docs/ci.md#{}", env!("CARGO_PKG_REPOSITORY"), rule.id()),
        "help": { "text": rule.help(), "markdown": rule.help() },
        "defaultConfiguration": { "level": "error" },
        "properties": {
            "security-severity": sarif::security_severity(rule.security_severity()),
            "tags": ["security", "rls", "supabase", "access-matrix"],
        },
    })
}

/// A catalog lint rule's descriptor; a rule this rlsgate does not know (a report of another
/// version) gets its id alone.
fn lint_rule(id: &str) -> Value {
    match crate::lint::registry::find(id) {
        Some(rule) => crate::report::lint::sarif::rule_descriptor(rule),
        None => json!({
            "id": id,
            "shortDescription": { "text": id },
            "properties": { "security-severity": sarif::security_severity(5.0) },
        }),
    }
}

fn location(place: &Place, base: &Path) -> Value {
    let region = Region {
        line: place.line,
        column: 0,
        end_line: place.end_line.max(place.line),
        end_column: 0,
    };
    let mut location = sarif::location(&place.file, &region, base);
    location["message"] = json!({ "text": place.what });
    location
}

fn result(
    finding: &Finding,
    ids: &[String],
    base: &Path,
    fingerprints: &mut Fingerprints,
) -> Value {
    let id = finding.kind.id();
    let primary = location(&finding.places[0], base);
    let uri = primary["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let fingerprint = match finding.kind {
        Kind::Cell(_) => fingerprints.next(id, "", &finding.identity),
        Kind::Lint(_) => fingerprints.next(id, &uri, &finding.identity),
    };
    let related: Vec<Value> = finding.places[1..]
        .iter()
        .enumerate()
        .map(|(i, place)| {
            let mut l = location(place, base);
            l["id"] = json!(i + 1);
            l
        })
        .collect();
    let mut result = json!({
        "ruleId": id,
        "ruleIndex": ids.iter().position(|known| known == id),
        "level": match finding.level {
            Level::Error => "error",
            Level::Warning => "warning",
        },
        "message": { "text": finding.message },
        "locations": [primary],
        "partialFingerprints": fingerprint,
    });
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    result["properties"] = match finding.cell {
        Some(c) => json!({
            "subject": c.subject.to_string(),
            "identity": c.identity,
            "action": c.action,
            "expected": c.expected.to_string(),
            "actual": c.actual.to_string(),
            "outcome": c.outcome,
        }),
        None => json!({ "origin": "catalog" }),
    };
    result
}
