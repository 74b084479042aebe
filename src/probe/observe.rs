//! Probe results read back: the rows a view shows, and one observation per command of a plan.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use postgres::Client;

use super::catalog::Relation;
use super::cells::{self, Plan, ProbeResult};
use super::error::ProbeError;
use super::rows::{self, PlacedRow, PUBLIC};
use crate::matrix::{insert_target, shape, Command, Observation, Outcome, Probe, RowFacts};
use crate::spec::Identity;

/// The placed rows of a view's base table that the view shows the superuser, by key, with
/// their labels and facts.
pub(super) fn shown_rows(
    client: &mut Client,
    rel: &Relation,
    base: &rows::TableState,
) -> Result<BTreeMap<String, RowFacts>, ProbeError> {
    let sql = format!(
        "select coalesce(string_agg({}, E'\\n'), '') from {} t",
        rows::key_expr(rel),
        rel.table.qualified()
    );
    let keys: String = client
        .query_one(&sql, &[])
        .map(|r| r.get(0))
        .unwrap_or_default();
    let keys: HashSet<&str> = keys.lines().collect();
    Ok(base
        .rows
        .iter()
        .filter(|r| keys.contains(r.key.as_str()))
        .map(|r| (r.label.clone(), r.facts.clone()))
        .collect())
}

/// Labels for the rows a view or materialized view shows the superuser: the identity whose
/// user id appears in the row, else `public`.
pub(super) fn view_rows(
    client: &mut Client,
    rel: &Relation,
    identities: &[Identity],
) -> Result<BTreeMap<String, RowFacts>, ProbeError> {
    let sql = format!(
        "select coalesce(string_agg(to_jsonb(t)::text, E'\\n'), '') from {} t",
        rel.table.qualified()
    );
    let text: String = match client.query_one(&sql, &[]) {
        Ok(row) => row.get(0),
        Err(_) => String::new(),
    };
    Ok(label_json_rows(&text, identities)
        .into_iter()
        .map(|l| {
            (
                l.clone(),
                RowFacts::owned_by(owner_of_label(&l, identities)),
            )
        })
        .collect())
}

fn owner_of_label(label: &str, identities: &[Identity]) -> Option<String> {
    identities
        .iter()
        .find(|i| i.name == label)
        .map(|i| i.name.clone())
}

fn label_json_rows(text: &str, identities: &[Identity]) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            identities
                .iter()
                .filter(|i| i.owns_rows())
                .find(|i| {
                    i.sub
                        .as_deref()
                        .is_some_and(|s| line.contains(&format!("\"{s}\"")))
                })
                .map(|i| i.name.clone())
                .unwrap_or_else(|| PUBLIC.to_string())
        })
        .collect()
}

/// Turns a plan's probe results into one observation per command.
pub(super) fn observe(
    plan: &Plan,
    results: &[ProbeResult],
    state: Option<&rows::TableState>,
    identities: &[Identity],
) -> Vec<Observation> {
    let rel = plan.rel;
    let rows = state.map(|s| &s.rows[..]);
    let setup_error = state.and_then(|s| s.error.as_deref());
    let tenant_scoped = state.is_some_and(|s| s.model.tenant_fk().is_some());
    let key_rows: HashMap<&str, &PlacedRow> = rows
        .unwrap_or_default()
        .iter()
        .map(|r| (r.key.as_str(), r))
        .collect();
    let key_labels: HashMap<&str, &str> = rows
        .unwrap_or_default()
        .iter()
        .map(|r| (r.key.as_str(), r.label.as_str()))
        .collect();
    let mut out = Vec::new();
    for command in Command::ALL {
        let mut obs = Observation {
            table: rel.table.clone(),
            identity: plan.identity.name.clone(),
            command,
            reached: BTreeSet::new(),
            inserted: BTreeSet::new(),
            transfer: false,
            probes: Vec::new(),
            shapes: Vec::new(),
        };
        for (p, r) in plan
            .probes
            .iter()
            .zip(results)
            .filter(|(p, r)| p.command == command && !r.covered)
        {
            if shape::is_shape(&p.target) {
                obs.shapes.push(Probe {
                    target: p.target.clone(),
                    outcome: r.outcome.clone(),
                });
                continue;
            }
            let allowed = r.outcome.is_allowed();
            match (command, p.target.as_str()) {
                (Command::Select, _) if rel.kind.holds_rows() || rel.base.is_some() => {
                    obs.reached = r
                        .payload
                        .lines()
                        .filter_map(|k| key_labels.get(k))
                        .map(|l| l.to_string())
                        .collect();
                }
                (Command::Select, _) => obs.reached = label_json_rows(&r.payload, identities),
                (Command::Insert, insert_target::FORGED) => {
                    // accepted only if a row naming the other user really appeared
                    let appeared = r
                        .payload
                        .split_once('\u{1e}')
                        .is_some_and(|(before, after)| {
                            after.trim().parse::<i64>().unwrap_or(0)
                                > before.trim().parse::<i64>().unwrap_or(0)
                        });
                    if allowed && appeared {
                        obs.inserted.insert(insert_target::FORGED.to_string());
                    }
                }
                (Command::Insert, insert_target::OWN_COPY) if allowed => {
                    obs.inserted.insert(insert_target::OWN.to_string());
                    obs.inserted.insert(insert_target::OWN_COPY.to_string());
                }
                (Command::Insert, target) if allowed => {
                    obs.inserted.insert(target.to_string());
                }
                (Command::Insert, _) => {}
                (Command::Update, cells::TRANSFER) => obs.transfer |= allowed,
                (_, cells::UNFILTERED) | (_, cells::TRANSFER_UNFILTERED) => {
                    let changed = if allowed {
                        cells::changes(&r.payload)
                    } else {
                        None
                    };
                    for key in changed
                        .iter()
                        .flat_map(|c| c.touched.iter().chain(&c.reowned))
                    {
                        if let Some(row) = key_rows.get(key.as_str()) {
                            obs.reached.insert(row.label.clone());
                        }
                    }
                    let mine = |key: &String| {
                        key_rows.get(key.as_str()).is_some_and(|r| {
                            if tenant_scoped {
                                r.facts
                                    .tenant
                                    .as_deref()
                                    .is_some_and(|t| plan.identity.belongs_to(t))
                            } else {
                                r.is_owned_by(&plan.identity.name)
                            }
                        })
                    };
                    if p.target == cells::TRANSFER_UNFILTERED
                        && changed.is_some_and(|c| c.reowned.iter().any(mine))
                    {
                        obs.transfer = true;
                    }
                }
                (_, label) if allowed => {
                    obs.reached.insert(label.to_string());
                }
                _ => {}
            }
            obs.probes.push(Probe {
                target: p.target.clone(),
                outcome: r.outcome.clone(),
            });
        }
        if let Some(err) = setup_error {
            obs.probes.push(Probe {
                target: "setup".into(),
                outcome: Outcome::Inconclusive {
                    sqlstate: "rlsgate".into(),
                    message: err.to_string(),
                },
            });
        }
        out.push(obs);
    }
    out
}
