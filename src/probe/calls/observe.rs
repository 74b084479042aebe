//! One identity's calls observed: what it reaches through the tables, each planned call made
//! and compared with that, and a second look for reads a result does not show.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use postgres::Client;

use super::world::{self, Called, Caller, WriteKind};
use super::{Bypass, CallObservation, CallRecord, RowRef, Unit};
use crate::matrix::TableRef;
use crate::probe::catalog::Relation;
use crate::probe::Prepared;

/// What an identity reaches through the tables themselves, asked of the database as the
/// identity (as the table probes do): the rows it reads, read up front; whether it could make
/// a write a call made, asked when a call makes one.
struct Reachable<'p> {
    prepared: &'p Prepared,
    /// Keys of the rows it reads, by table (`None`: unknown, every row counts as read).
    select: HashMap<TableRef, Option<BTreeSet<String>>>,
    writes: HashMap<(TableRef, String, WriteKind), bool>,
    inserts: HashMap<TableRef, bool>,
}

impl<'p> Reachable<'p> {
    fn read(
        client: &mut Client,
        prepared: &'p Prepared,
        caller: &Caller,
    ) -> Result<Reachable<'p>, postgres::Error> {
        let mut select = HashMap::new();
        for rel in &prepared.catalog.relations {
            if prepared
                .states
                .get(&rel.table)
                .is_some_and(|s| !s.rows.is_empty())
            {
                select.insert(rel.table.clone(), world::readable(client, caller, rel)?);
            }
        }
        Ok(Reachable {
            prepared,
            select,
            writes: HashMap::new(),
            inserts: HashMap::new(),
        })
    }

    fn reads(&self, table: &TableRef, key: &str) -> bool {
        match self.select.get(table) {
            Some(Some(keys)) => keys.contains(key),
            _ => true,
        }
    }

    fn could(
        &mut self,
        client: &mut Client,
        caller: &Caller,
        table: &TableRef,
        key: &str,
        kind: WriteKind,
    ) -> Result<bool, postgres::Error> {
        let Some(rel) = self.prepared.catalog.get(table) else {
            return Ok(true);
        };
        if kind == WriteKind::Insert {
            if let Some(&known) = self.inserts.get(table) {
                return Ok(known);
            }
            let can = world::insertable(client, caller, rel)?;
            self.inserts.insert(table.clone(), can);
            return Ok(can);
        }
        let slot = (table.clone(), key.to_string(), kind);
        if let Some(&known) = self.writes.get(&slot) {
            return Ok(known);
        }
        let column = match self.prepared.states.get(table) {
            Some(state) => crate::probe::cells::touch_column(
                rel,
                &state.model,
                self.prepared
                    .updatable
                    .get(&(table.clone(), caller.identity.role.clone()))
                    .map_or(&[][..], |c| &c[..]),
            ),
            None => return Ok(true),
        };
        let can = world::writable(client, caller, rel, key, kind, &column)?;
        self.writes.insert(slot, can);
        Ok(can)
    }
}

pub(super) fn observe_identity(
    client: &mut Client,
    prepared: &Prepared,
    caller: &Caller,
    units: &[Unit],
) -> Result<Vec<CallObservation>, postgres::Error> {
    let identity = caller.identity;
    let mut reach = Reachable::read(client, prepared, caller)?;
    let labels: HashMap<(&TableRef, &str), &str> = prepared
        .states
        .iter()
        .flat_map(|(t, s)| {
            s.rows
                .iter()
                .map(move |r| ((t, r.key.as_str()), r.label.as_str()))
        })
        .collect();
    // rows the identity cannot read through the tables (its own rows stay: a helper reading
    // the caller's own membership is not a bypass)
    let hidden: Vec<(&Relation, BTreeSet<String>)> = prepared
        .catalog
        .relations
        .iter()
        .filter_map(|rel| {
            let state = prepared.states.get(&rel.table)?;
            let keys: BTreeSet<String> = state
                .rows
                .iter()
                .filter(|r| !r.is_owned_by(&identity.name) && !reach.reads(&rel.table, &r.key))
                .map(|r| r.key.clone())
                .collect();
            (!keys.is_empty()).then_some((rel, keys))
        })
        .collect();
    let others_emails: Vec<(&str, &str)> = prepared
        .identities
        .iter()
        .filter(|i| i.name != identity.name)
        .filter_map(|i| Some((i.name.as_str(), i.email.as_deref()?)))
        .collect();
    let mut out = Vec::new();
    // (unit, call) -> result, for the second look
    let mut returned: Vec<(usize, usize, String)> = Vec::new();
    for (u, unit) in units.iter().enumerate() {
        let mut obs = CallObservation {
            function: unit.function.function.clone(),
            security_definer: unit.function.security_definer,
            identity: identity.name.clone(),
            calls: Vec::new(),
            bypasses: Vec::new(),
        };
        for (c, planned) in unit.calls.iter().enumerate() {
            let called = world::call(client, caller, &planned.sql, &unit.tables)?;
            let mut bypass = Bypass {
                argument: planned.argument.clone(),
                reads: BTreeSet::new(),
                writes: BTreeSet::new(),
            };
            let text = match &called {
                Called::Returned { result, .. } => result.clone(),
                Called::Refused { message, .. } | Called::Failed { message, .. } => message.clone(),
            };
            for (name, email) in &others_emails {
                if text.contains(email) {
                    bypass.reads.insert(RowRef {
                        table: TableRef::new("auth", "users"),
                        label: name.to_string(),
                    });
                }
            }
            let record = match &called {
                Called::Returned { result, writes } => {
                    let values = world::values_in(result);
                    for (rel, keys) in &hidden {
                        let Some(state) = prepared.states.get(&rel.table) else {
                            continue;
                        };
                        if rel.primary_key.len() != 1 {
                            continue;
                        }
                        for row in state.rows.iter().filter(|r| keys.contains(&r.key)) {
                            let key = match row.json.get(&rel.primary_key[0]) {
                                Some(serde_json::Value::String(s)) if s.len() >= 8 => s.clone(),
                                _ => continue,
                            };
                            if values.contains(&key) {
                                bypass.reads.insert(RowRef {
                                    table: rel.table.clone(),
                                    label: row.label.clone(),
                                });
                            }
                        }
                    }
                    for w in writes {
                        let label = labels.get(&(&w.table, w.key.as_str())).copied();
                        let beyond = match (w.kind, label) {
                            (WriteKind::Insert, _) | (_, Some(_)) => {
                                !reach.could(client, caller, &w.table, &w.key, w.kind)?
                            }
                            (_, None) => false,
                        };
                        if beyond {
                            bypass.writes.insert((
                                w.kind,
                                RowRef {
                                    table: w.table.clone(),
                                    label: label.unwrap_or("new row").to_string(),
                                },
                            ));
                        }
                    }
                    returned.push((u, c, result.clone()));
                    CallRecord {
                        argument: planned.argument.clone(),
                        outcome: "returned".into(),
                        inconclusive: false,
                    }
                }
                Called::Refused { message, .. } => CallRecord {
                    argument: planned.argument.clone(),
                    outcome: format!("refused: {message}"),
                    inconclusive: false,
                },
                // an injection payload that breaks the statement is the function holding
                Called::Failed { message, .. } if planned.injection => CallRecord {
                    argument: planned.argument.clone(),
                    outcome: format!("refused: {message}"),
                    inconclusive: false,
                },
                Called::Failed { sqlstate, message } => CallRecord {
                    argument: planned.argument.clone(),
                    outcome: format!(
                        "inconclusive: {}",
                        if sqlstate == "57014" {
                            format!(
                                "did not finish within the call timeout ({} ms); raise --call-timeout or `[timeouts] call`",
                                caller.call_timeout
                            )
                        } else {
                            format!("{message} ({sqlstate})")
                        }
                    ),
                    inconclusive: true,
                },
            };
            obs.calls.push(record);
            if !bypass.reads.is_empty() || !bypass.writes.is_empty() {
                obs.bypasses.push(bypass);
            }
        }
        out.push(obs);
    }
    second_look(
        client, prepared, caller, units, &hidden, &returned, &mut out,
    )?;
    Ok(out)
}

/// Calls again with the rows the identity cannot read hidden; a result that changes read
/// them. Hiding one table at a time then says whose rows.
fn second_look(
    client: &mut Client,
    prepared: &Prepared,
    caller: &Caller,
    units: &[Unit],
    hidden: &[(&Relation, BTreeSet<String>)],
    returned: &[(usize, usize, String)],
    out: &mut [CallObservation],
) -> Result<(), postgres::Error> {
    if hidden.is_empty() || returned.is_empty() {
        return Ok(());
    }
    let all: Vec<(&Relation, &BTreeSet<String>)> = hidden.iter().map(|(r, k)| (*r, k)).collect();
    let changed = |client: &mut Client,
                   hide: &[(&Relation, &BTreeSet<String>)],
                   which: &[&(usize, usize, String)]|
     -> Result<Vec<bool>, postgres::Error> {
        client.batch_execute("savepoint rlsgate_hidden")?;
        world::hide(client, hide)?;
        let mut differ = Vec::new();
        for (u, c, before) in which {
            let after = world::result_only(client, caller, &units[*u].calls[*c].sql)?;
            differ.push(after.as_deref() != Some(before.as_str()));
        }
        client.batch_execute("rollback to savepoint rlsgate_hidden")?;
        Ok(differ)
    };
    let every: Vec<&(usize, usize, String)> = returned.iter().collect();
    let differ = changed(client, &all, &every)?;
    let mut suspects: Vec<&(usize, usize, String)> = Vec::new();
    for (r, d) in every.iter().zip(differ).filter(|(_, d)| *d) {
        // a result that changes from one call to the next (a timestamp, a new id) says nothing
        let again = world::result_only(client, caller, &units[r.0].calls[r.1].sql)?;
        if d && again.as_deref() == Some(r.2.as_str()) {
            suspects.push(r);
        }
    }
    if suspects.is_empty() {
        return Ok(());
    }
    let mut read_tables: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (t, (rel, keys)) in hidden.iter().enumerate() {
        let which: Vec<&(usize, usize, String)> = suspects
            .iter()
            .copied()
            .filter(|(u, _, _)| {
                let named = &units[*u].tables;
                named.is_empty()
                    || named.iter().any(|n| n.table == rel.table)
                    || !named
                        .iter()
                        .any(|n| hidden.iter().any(|(h, _)| h.table == n.table))
            })
            .collect();
        if which.is_empty() {
            continue;
        }
        let differ = changed(client, &[(*rel, keys)], &which)?;
        for (r, d) in which.iter().zip(differ) {
            if d {
                read_tables.entry((r.0, r.1)).or_default().push(t);
            }
        }
    }
    for r in &suspects {
        let tables = read_tables
            .get(&(r.0, r.1))
            .cloned()
            .unwrap_or_else(|| (0..hidden.len()).collect());
        let planned = &units[r.0].calls[r.1];
        let mut reads = BTreeSet::new();
        for t in tables {
            let (rel, keys) = &hidden[t];
            let Some(state) = prepared.states.get(&rel.table) else {
                continue;
            };
            let rows: Vec<_> = state
                .rows
                .iter()
                .filter(|row| keys.contains(&row.key))
                .collect();
            let narrowed: Vec<_> = match &planned.opening {
                Some(value) => rows
                    .iter()
                    .copied()
                    .filter(|row| {
                        row.json.values().any(|v| match v {
                            serde_json::Value::String(s) => s == value,
                            serde_json::Value::Number(n) => &n.to_string() == value,
                            _ => false,
                        })
                    })
                    .collect(),
                None => Vec::new(),
            };
            let chosen = if narrowed.is_empty() { rows } else { narrowed };
            reads.extend(chosen.into_iter().map(|row| RowRef {
                table: rel.table.clone(),
                label: row.label.clone(),
            }));
        }
        let obs = &mut out[r.0];
        match obs
            .bypasses
            .iter_mut()
            .find(|b| b.argument == planned.argument)
        {
            Some(b) => b.reads.extend(reads),
            None => obs.bypasses.push(Bypass {
                argument: planned.argument.clone(),
                reads,
                writes: BTreeSet::new(),
            }),
        }
    }
    Ok(())
}
