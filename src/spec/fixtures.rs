//! Fixtures: rows a person pins in `fixtures/*.toml` when synthesized rows are not enough,
//! each with a label that explicit scopes can name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;
use serde_json::Value as Json;

use super::error::{did_you_mean, Location, SpecError, SpecErrors};
use super::identities::Identity;
use super::source::{entries, item_span, kind, toml_to_json, SourceFile};
use super::specs::{parse_table_name, PUBLIC_LABEL};
use crate::matrix::TableRef;

const ROW_KEYS: [&str; 3] = ["label", "owner", "values"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixtureRow {
    pub table: TableRef,
    pub label: String,
    /// The identity that owns the row; `None` for a row owned by nobody.
    pub owner: Option<String>,
    /// Column -> value, placeholders (`{sub:alice}`, `{email:alice}`) not yet substituted.
    pub values: BTreeMap<String, Json>,
    /// The row's `[[rows."..."]]` header.
    pub source: Location,
    /// Where the table name, the label and the owner are written, for errors.
    pub table_source: Location,
    pub label_source: Location,
    pub owner_source: Option<Location>,
}

impl FixtureRow {
    /// The values with `{sub:NAME}` and `{email:NAME}` replaced by that identity's sub/email.
    pub fn resolved_values(
        &self,
        identities: &[Identity],
    ) -> Result<BTreeMap<String, Json>, SpecError> {
        self.values
            .iter()
            .map(|(column, value)| Ok((column.clone(), substitute(value, identities, self)?)))
            .collect()
    }
}

fn substitute(value: &Json, identities: &[Identity], row: &FixtureRow) -> Result<Json, SpecError> {
    Ok(match value {
        Json::String(s) => Json::String(substitute_str(s, identities, row)?),
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| substitute(v, identities, row))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute(v, identities, row)?)))
                .collect::<Result<_, SpecError>>()?,
        ),
        other => other.clone(),
    })
}

fn substitute_str(s: &str, identities: &[Identity], row: &FixtureRow) -> Result<String, SpecError> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let inner = &rest[open + 1..close];
        let replacement = match inner.split_once(':') {
            Some((field @ ("sub" | "email"), name)) => {
                let identity = identities.iter().find(|i| i.name == name).ok_or_else(|| {
                    placeholder_error(
                        row,
                        format!("`{{{inner}}}` names an unknown identity `{name}`"),
                    )
                    .with_help_opt(did_you_mean(
                        name,
                        identities.iter().map(|i| i.name.as_str()),
                    ))
                })?;
                let value = if field == "sub" {
                    &identity.sub
                } else {
                    &identity.email
                };
                Some(value.clone().ok_or_else(|| {
                    placeholder_error(row, format!("identity `{name}` has no {field}"))
                })?)
            }
            _ => None,
        };
        match replacement {
            Some(r) => {
                out.push_str(&rest[..open]);
                out.push_str(&r);
            }
            None => out.push_str(&rest[..=close]),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn placeholder_error(row: &FixtureRow, message: String) -> SpecError {
    SpecError {
        file: row.source.file.clone(),
        line: row.source.line,
        column: row.source.column,
        message,
        help: None,
        snippet: read_line(&row.source),
    }
}

/// Read every `*.toml` in `dir` (a missing directory holds no fixtures).
pub fn load_fixtures(dir: &Path) -> Result<Vec<FixtureRow>, SpecErrors> {
    let mut paths: Vec<_> = match std::fs::read_dir(dir) {
        Ok(listing) => listing
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    paths.sort();
    let mut rows = Vec::new();
    let mut errors = SpecErrors::default();
    for path in paths {
        match SourceFile::read(&path) {
            Ok(source) => match parse_fixtures(&source) {
                Ok(mut r) => rows.append(&mut r),
                Err(e) => errors.extend(e),
            },
            Err(e) => errors.push(e),
        }
    }
    errors.into_result(rows)
}

pub fn parse_fixtures(source: &SourceFile) -> Result<Vec<FixtureRow>, SpecErrors> {
    let doc = source.parse()?;
    let mut errors = SpecErrors::default();
    let mut rows = Vec::new();
    for (key, item) in entries(doc.as_table()) {
        if key.get() != "rows" {
            errors.push(source.unknown_key(key, "top-level key", &["rows"]));
            continue;
        }
        let Some(tables) = item.as_table_like() else {
            errors.push(
                source
                    .not_a_table("`rows`", key, item)
                    .with_help("write `[[rows.\"public.documents\"]]` for each row"),
            );
            continue;
        };
        for (tkey, titem) in entries(tables) {
            let table = parse_table_name(tkey.get());
            let Some(array) = titem.as_array_of_tables() else {
                errors.push(
                    source
                        .error_labelled(
                            item_span(tkey, titem),
                            format!(
                                "rows of `{}` must be an array of tables, found {}",
                                tkey.get(),
                                kind(titem)
                            ),
                            "expected `[[rows.\"...\"]]`",
                        )
                        .with_help(format!(
                            "write `[[rows.\"{}\"]]` above each row",
                            tkey.get()
                        )),
                );
                continue;
            };
            for row in array.iter() {
                let row_span = row.span().or_else(|| tkey.span());
                let mut label = None;
                let mut owner = None;
                let mut values = BTreeMap::new();
                for (rkey, ritem) in entries(row) {
                    match rkey.get() {
                        "label" | "owner" => match ritem.as_str() {
                            Some(s) if !s.trim().is_empty() => {
                                let slot = if rkey.get() == "label" {
                                    &mut label
                                } else {
                                    &mut owner
                                };
                                *slot = Some((s.to_string(), item_span(rkey, ritem)));
                            }
                            _ => errors.push(source.error_labelled(
                                item_span(rkey, ritem),
                                format!(
                                    "`{}` must be a non-empty string, found {}",
                                    rkey.get(),
                                    kind(ritem)
                                ),
                                "expected a string",
                            )),
                        },
                        "values" => match ritem.as_table_like() {
                            Some(t) => {
                                for (ckey, citem) in entries(t) {
                                    match citem.as_value() {
                                        Some(v) => {
                                            values.insert(ckey.get().to_string(), toml_to_json(v));
                                        }
                                        None => errors.push(source.error_labelled(
                                            item_span(ckey, citem),
                                            format!(
                                                "column `{}` must have a value, found {}",
                                                ckey.get(),
                                                kind(citem)
                                            ),
                                            "expected a value",
                                        )),
                                    }
                                }
                            }
                            None => errors.push(source.error_labelled(
                                item_span(rkey, ritem),
                                format!(
                                    "`values` must be a table of column = value, found {}",
                                    kind(ritem)
                                ),
                                "expected a table",
                            )),
                        },
                        _ => errors.push(source.unknown_key(rkey, "row key", &ROW_KEYS)),
                    }
                }
                let Some((label, label_span)) = label else {
                    errors.push(
                        source
                            .error_labelled(
                                row_span,
                                format!("a row of `{}` has no label", tkey.get()),
                                "this row",
                            )
                            .with_help("add `label = \"...\"`: explicit scopes name rows by label"),
                    );
                    continue;
                };
                rows.push(FixtureRow {
                    table: table.clone(),
                    label,
                    owner_source: owner
                        .as_ref()
                        .map(|(_, span)| source.location(span.clone())),
                    owner: owner.map(|(o, _)| o),
                    values,
                    source: source.location(row_span),
                    table_source: source.location(tkey.span()),
                    label_source: source.location(label_span),
                });
            }
        }
    }
    errors.into_result(rows)
}

/// Check fixtures against the database and the identities: known tables and owners, labels
/// unique per table and distinct from identity names and `public`, placeholders resolvable.
pub fn validate_fixtures(
    rows: &[FixtureRow],
    tables: &[TableRef],
    identities: &[Identity],
) -> Result<(), SpecErrors> {
    let mut errors = SpecErrors::default();
    let mut seen: BTreeSet<(&TableRef, &str)> = BTreeSet::new();
    let at = |location: &Location, message: String| SpecError {
        file: location.file.clone(),
        line: location.line,
        column: location.column,
        message,
        help: None,
        snippet: read_line(location),
    };
    for row in rows {
        if !tables.contains(&row.table) {
            errors.push(
                at(
                    &row.table_source,
                    format!(
                        "fixture row `{}`: unknown table `{}`",
                        row.label,
                        row.table.display_name()
                    ),
                )
                .with_help_opt(did_you_mean(
                    &row.table.display_name(),
                    tables.iter().map(|t| t.name.as_str()),
                )),
            );
        }
        if !seen.insert((&row.table, row.label.as_str())) {
            errors.push(at(
                &row.label_source,
                format!(
                    "label `{}` is used twice in `{}`",
                    row.label,
                    row.table.display_name()
                ),
            ));
        }
        if row.label == PUBLIC_LABEL || identities.iter().any(|i| i.name == row.label) {
            errors.push(
                at(
                    &row.label_source,
                    format!("label `{}` is taken by the synthesized rows", row.label),
                )
                .with_help(
                    "identity names and `public` label synthesized rows; pick another label",
                ),
            );
        }
        if let Some(owner) = &row.owner {
            match identities.iter().find(|i| &i.name == owner) {
                None => errors.push(
                    at(
                        row.owner_source.as_ref().unwrap_or(&row.source),
                        format!("fixture row `{}`: unknown owner `{owner}`", row.label),
                    )
                    .with_help_opt(did_you_mean(
                        owner,
                        identities.iter().map(|i| i.name.as_str()),
                    )),
                ),
                Some(i) if !i.owns_rows() => errors.push(at(
                    row.owner_source.as_ref().unwrap_or(&row.source),
                    format!(
                        "fixture row `{}`: `{owner}` cannot own rows (role {}, no sub)",
                        row.label, i.role
                    ),
                )),
                Some(_) => {}
            }
        }
        if let Err(e) = row.resolved_values(identities) {
            errors.push(e);
        }
    }
    errors.into_result(())
}

fn read_line(location: &Location) -> Option<Box<super::error::SourceLine>> {
    let text = std::fs::read_to_string(&location.file).ok()?;
    let line = text.lines().nth(location.line.checked_sub(1)?)?;
    let start = line
        .char_indices()
        .nth(location.column.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    Some(Box::new(super::error::SourceLine {
        text: line.to_string(),
        underline: start..line.len(),
        label: String::new(),
    }))
}
