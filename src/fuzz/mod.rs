//! Property tests of the prepared database with generated users, rows and claims (proptest):
//!
//! - isolation: where the spec says `own`, no generated user reads, updates or deletes a row
//!   of another generated user, nor inserts one for them;
//! - claim tampering: a generated user's claims, tampered with ([`claims::Tamper`]), never
//!   reach a generated row beyond what the spec grants that user;
//! - anon: the anon role, with tampered claims, never reaches beyond the spec's anon entry.
//!
//! Each case runs in one transaction that is rolled back. A failing case is shrunk by
//! proptest and reported with a runnable SQL reproduction.

pub mod claims;
mod repro;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use postgres::Client;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::Serialize;

use crate::matrix::{Command, InsertScope, Scope, TableRef};
use crate::probe::cells::{clear_children, clear_conflicts, touch_column};
use crate::probe::rows::{insert_sql, key_expr, key_predicate, PlacedRow, RowSpec, Synthesizer};
use crate::probe::{describe, Prepared, ProbeConnection, ProbeError};
use crate::spec::identities::{derived_uuid, synthesize_claims};
use crate::spec::{Identity, Specs};
use claims::Tamper;

/// One generated case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Makes the generated users' ids differ from case to case.
    pub salt: u32,
    /// Per generated user: how many rows beyond one it owns in each table it can own.
    pub extra_rows: Vec<u8>,
    /// Applied to the first user's claims.
    pub tamper: Vec<Tamper>,
    /// Applied to anon's claims.
    pub anon_tamper: Vec<Tamper>,
}

pub fn case_strategy() -> impl Strategy<Value = Case> {
    (1usize..=4)
        .prop_flat_map(|n| {
            (
                any::<u32>(),
                prop::collection::vec(0u8..=2, n),
                prop::collection::vec(claims::tamper(n), 0..=3),
                prop::collection::vec(claims::tamper(n), 0..=3),
            )
        })
        .prop_map(|(salt, extra_rows, tamper, anon_tamper)| Case {
            salt,
            extra_rows,
            tamper,
            anon_tamper,
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    Isolation,
    ClaimTampering,
    Anon,
}

impl Property {
    pub fn as_str(self) -> &'static str {
        match self {
            Property::Isolation => "isolation",
            Property::ClaimTampering => "claim tampering",
            Property::Anon => "anon",
        }
    }
}

/// A statement that reached a generated row (or inserted one) beyond the spec.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub property: Property,
    pub table: TableRef,
    pub command: Command,
    /// Who ran it: a generated user's name or `anon`.
    pub actor: String,
    pub role: String,
    /// The claims it ran with (empty: none at all).
    pub claims: String,
    /// The tampering applied, in words.
    pub tampering: Vec<String>,
    /// The row reached (`owner`), or for INSERT the owner of the inserted row.
    pub row_owner: Option<String>,
    /// What the spec allows this actor for this command.
    pub expected: String,
    pub statement: String,
    /// Runnable SQL: setup, impersonation, the statement, rollback.
    pub reproduction: String,
    /// The reproduction was run on its own and reached the row again.
    pub reproduced: bool,
}

pub struct FuzzOptions<'a> {
    pub seed: u64,
    pub cases: u32,
    pub time_budget: Option<Duration>,
    /// Only these tables (empty: all).
    pub tables: &'a [String],
}

#[derive(Debug, Clone, Serialize)]
pub struct FuzzReport {
    pub seed: u64,
    /// Cases run (before any shrinking).
    pub cases: u32,
    /// The time budget ended generation before `--cases` were run.
    pub budget_reached: bool,
    /// Statements tried as generated users and anon (shrinking included): each one that
    /// the spec says must not reach a row or insert one.
    pub statements: u64,
    /// The smallest failing case, after shrinking.
    pub violation: Option<Violation>,
    pub shrunk_case: Option<String>,
}

/// Runs the properties for up to `opts.cases` generated cases on `conn`.
pub fn run(
    conn: &mut ProbeConnection,
    prepared: &Prepared,
    specs: &Specs,
    opts: &FuzzOptions,
) -> Result<FuzzReport, ProbeError> {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&opts.seed.to_le_bytes());
    let config = Config {
        cases: opts.cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let started = Instant::now();
    let conn = RefCell::new(conn);
    let error: RefCell<Option<ProbeError>> = RefCell::new(None);
    let state = RefCell::new((0u32, false, false)); // cases run, failed once, budget reached
    let statements = RefCell::new(0u64);
    let tables: Vec<TableRef> = prepared
        .rows
        .iter()
        .filter(|r| {
            opts.tables.is_empty()
                || opts
                    .tables
                    .iter()
                    .any(|t| *t == r.table.name || *t == r.table.to_string())
        })
        .map(|r| r.table.clone())
        .collect();
    let result = runner.run(&case_strategy(), |case| {
        {
            let mut s = state.borrow_mut();
            if error.borrow().is_some() {
                return Ok(());
            }
            if !s.1 && opts.time_budget.is_some_and(|b| started.elapsed() > b) {
                s.2 = true;
                return Ok(());
            }
            if !s.1 {
                s.0 += 1;
            }
        }
        let mut conn = conn.borrow_mut();
        let counted = check_counting(
            conn.client(),
            prepared,
            specs,
            &tables,
            &case,
            &mut statements.borrow_mut(),
        );
        match counted {
            Ok(None) => Ok(()),
            Ok(Some(v)) => {
                state.borrow_mut().1 = true;
                Err(TestCaseError::fail(format!(
                    "{}: {} {} on {}",
                    v.property.as_str(),
                    v.actor,
                    v.command,
                    v.table
                )))
            }
            Err(e) => {
                *error.borrow_mut() = Some(e);
                Ok(())
            }
        }
    });
    if let Some(e) = error.into_inner() {
        return Err(e);
    }
    let (cases, _, budget_reached) = state.into_inner();
    let mut report = FuzzReport {
        seed: opts.seed,
        cases,
        budget_reached,
        statements: statements.into_inner(),
        violation: None,
        shrunk_case: None,
    };
    match result {
        Ok(()) => {}
        Err(TestError::Fail(_, case)) => {
            let conn = conn.into_inner();
            report.violation = check_case(conn.client(), prepared, specs, &tables, &case)?;
            if let Some(v) = report.violation.as_mut() {
                v.reproduced = reproduces(conn.client(), &v.reproduction);
            }
            report.shrunk_case = Some(format!("{case:?}"));
        }
        Err(TestError::Abort(why)) => {
            return Err(ProbeError::Db {
                context: "fuzzing".into(),
                message: why.to_string(),
            })
        }
    }
    Ok(report)
}

/// Runs a reproduction script as it is; true when its last statement read or changed a row.
fn reproduces(client: &mut Client, script: &str) -> bool {
    use postgres::SimpleQueryMessage;
    match client.simple_query(script) {
        Ok(messages) => {
            let counts: Vec<u64> = messages
                .iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::CommandComplete(n) => Some(*n),
                    _ => None,
                })
                .collect();
            // The last count is the rollback's; the one before is the statement's.
            counts.len() >= 2 && counts[counts.len() - 2] > 0
        }
        Err(_) => {
            let _ = client.batch_execute("rollback");
            false
        }
    }
}

/// The generated users of a case.
fn users(case: &Case) -> Vec<Identity> {
    (0..case.extra_rows.len())
        .map(|i| {
            let name = format!("fuzz_user_{}", i + 1);
            let sub = derived_uuid("fuzz", &format!("{}-{i}", case.salt));
            let email = format!("{name}@fuzz.test");
            let claims = synthesize_claims(&name, "authenticated", Some(&sub), Some(&email), None);
            Identity {
                name,
                role: "authenticated".into(),
                sub: Some(sub),
                email: Some(email),
                claims,
                setup: Vec::new(),
                tenants: Vec::new(),
            }
        })
        .collect()
}

/// Who runs a batch of statements.
struct Actor<'a> {
    property: Property,
    name: String,
    role: String,
    claims: String,
    tampering: Vec<String>,
    /// Spec lookup: identity name and role.
    spec_name: String,
    spec_role: String,
    /// The generated user whose rows are `own`.
    me: Option<&'a Identity>,
}

struct Attempt {
    table: TableRef,
    command: Command,
    row_owner: Option<String>,
    expected: String,
    prelude: String,
    statement: String,
    select: bool,
    /// SELECT: the rows that must not come back.
    forbidden: Vec<PlacedRow>,
    /// UPDATE, DELETE: the row; INSERT: none.
    target: Option<PlacedRow>,
    /// INSERT: the rows the new one references.
    parents: Vec<(TableRef, PlacedRow)>,
}

/// Runs one case in a rolled-back transaction; the first violation found, if any.
pub fn check_case(
    client: &mut Client,
    prepared: &Prepared,
    specs: &Specs,
    tables: &[TableRef],
    case: &Case,
) -> Result<Option<Violation>, ProbeError> {
    check_counting(client, prepared, specs, tables, case, &mut 0)
}

/// [`check_case`], adding the number of statements tried to `statements`.
fn check_counting(
    client: &mut Client,
    prepared: &Prepared,
    specs: &Specs,
    tables: &[TableRef],
    case: &Case,
    statements: &mut u64,
) -> Result<Option<Violation>, ProbeError> {
    let db = |context: &'static str| {
        move |e: postgres::Error| ProbeError::Db {
            context: context.into(),
            message: describe(&e),
        }
    };
    client
        .batch_execute("begin")
        .map_err(db("opening a fuzz case"))?;
    let result = (|| {
        let users = users(case);
        let mut synth = Synthesizer::new(
            &prepared.catalog,
            &prepared.model,
            &users,
            &prepared.fillers,
        );
        synth.create_users(client)?;
        synth.synthesize_all(client)?;
        for (user, extra) in users.iter().zip(&case.extra_rows) {
            for table in tables {
                let Some(rel) = prepared.catalog.get(table) else {
                    continue;
                };
                if !rel.kind.holds_rows() || !synth.model_of(table).is_owned() {
                    continue;
                }
                for _ in 0..*extra {
                    let spec = RowSpec::owned_by(Some(user));
                    if let Ok(mut row) = synth.insert(client, rel, &spec) {
                        row.label = user.name.clone();
                        if let Some(s) = synth.states.get_mut(table) {
                            s.rows.push(row);
                        }
                    }
                }
            }
        }
        let subs: Vec<String> = users.iter().filter_map(|u| u.sub.clone()).collect();
        let names: Vec<String> = users.iter().map(|u| u.name.clone()).collect();
        let mut actors: Vec<Actor> = users
            .iter()
            .map(|u| Actor {
                property: Property::Isolation,
                name: u.name.clone(),
                role: u.role.clone(),
                claims: u.claims.to_string(),
                tampering: Vec::new(),
                spec_name: u.name.clone(),
                spec_role: u.role.clone(),
                me: Some(u),
            })
            .collect();
        if !case.tamper.is_empty() {
            let u = &users[0];
            actors.push(Actor {
                property: Property::ClaimTampering,
                name: u.name.clone(),
                role: u.role.clone(),
                claims: claims::apply(&u.claims, &case.tamper, &subs),
                tampering: case.tamper.iter().map(|t| t.describe(&names)).collect(),
                spec_name: u.name.clone(),
                spec_role: u.role.clone(),
                me: Some(u),
            });
        }
        let anon = prepared.identities.iter().find(|i| i.role == "anon");
        let anon_name = anon.map_or("anon".to_string(), |a| a.name.clone());
        let anon_claims = anon.map_or_else(
            || synthesize_claims("anon", "anon", None, None, None),
            |a| a.claims.clone(),
        );
        actors.push(Actor {
            property: Property::Anon,
            name: anon_name.clone(),
            role: "anon".into(),
            claims: claims::apply(&anon_claims, &case.anon_tamper, &subs),
            tampering: case
                .anon_tamper
                .iter()
                .map(|t| t.describe(&names))
                .collect(),
            spec_name: anon_name,
            spec_role: "anon".into(),
            me: None,
        });

        for actor in &actors {
            let attempts = attempts(&synth, prepared, specs, tables, actor, &users);
            if attempts.is_empty() {
                continue;
            }
            *statements += attempts.len() as u64;
            if let Some((hit, seen)) = run_attempts(client, actor, &attempts)? {
                let a = &attempts[hit];
                let reached = seen.as_ref().or(a.target.as_ref());
                let rows = match (reached, prepared.catalog.get(&a.table)) {
                    (Some(row), Some(rel)) => repro::lineage(&synth, rel, row),
                    _ => a.parents.clone(),
                };
                return Ok(Some(Violation {
                    property: actor.property,
                    table: a.table.clone(),
                    command: a.command,
                    actor: actor.name.clone(),
                    role: actor.role.clone(),
                    claims: actor.claims.clone(),
                    tampering: actor.tampering.clone(),
                    row_owner: reached
                        .and_then(|r| r.owner().map(str::to_string))
                        .or_else(|| a.row_owner.clone()),
                    expected: a.expected.clone(),
                    statement: a.statement.clone(),
                    reproduction: repro::sql(
                        &synth,
                        &users,
                        &actor.role,
                        &actor.claims,
                        a,
                        &rows,
                        seen.as_ref(),
                    ),
                    reproduced: false,
                }));
            }
        }
        Ok(None)
    })();
    let rollback = client.batch_execute("rollback");
    let result = result?;
    rollback.map_err(db("closing a fuzz case"))?;
    Ok(result)
}

fn allowed(scope: &Scope, row: &PlacedRow, parties: &[String], me: Option<&Identity>) -> bool {
    match me {
        Some(me) => crate::verdict::admits(scope, &row.label, &row.facts, parties, me),
        None => {
            matches!(scope, Scope::All)
                || matches!(scope, Scope::Labels(labels) if labels.contains(&row.label))
        }
    }
}

/// The statements that would reach generated rows beyond the spec for `actor`.
fn attempts(
    synth: &Synthesizer,
    prepared: &Prepared,
    specs: &Specs,
    tables: &[TableRef],
    actor: &Actor,
    users: &[Identity],
) -> Vec<Attempt> {
    let generated: HashSet<&str> = users.iter().map(|u| u.name.as_str()).collect();
    let mut out = Vec::new();
    for table in tables {
        let Some(rel) = synth.catalog.get(table) else {
            continue;
        };
        let Some(state) = synth.states.get(table) else {
            continue;
        };
        if !rel.kind.holds_rows() || state.error.is_some() {
            continue;
        }
        let Some(exp) = specs.expectation_for(table, &actor.spec_name, &actor.spec_role) else {
            continue;
        };
        let isolation_only = actor.property == Property::Isolation;
        let parties = synth.model.parties(synth.catalog, table);
        let rows: Vec<&PlacedRow> = state
            .rows
            .iter()
            .filter(|r| r.owner().is_some_and(|o| generated.contains(o)))
            .collect();
        let key = key_expr(rel);
        let qualified = rel.table.qualified();
        for command in [Command::Select, Command::Update, Command::Delete] {
            let Some(scope) = exp.scope(command) else {
                continue;
            };
            if isolation_only && scope != Scope::Own {
                continue;
            }
            let expected = crate::spec::specs::scope_text(&scope);
            let forbidden: Vec<&&PlacedRow> = rows
                .iter()
                .filter(|r| !allowed(&scope, r, &parties, actor.me))
                .collect();
            if forbidden.is_empty() {
                continue;
            }
            match command {
                Command::Select => out.push(Attempt {
                    table: table.clone(),
                    command,
                    row_owner: None,
                    expected,
                    prelude: String::new(),
                    statement: format!(
                        "select coalesce(string_agg(k, E'\\n'), '') from (select {key} as k from {qualified} t) s"
                    ),
                    select: true,
                    forbidden: forbidden.iter().map(|r| (**r).clone()).collect(),
                    target: None,
                    parents: Vec::new(),
                }),
                _ => {
                    for row in forbidden {
                        let pred = key_predicate(rel, row);
                        let (prelude, statement) = if command == Command::Update {
                            let col = crate::matrix::quote_ident(&touch_column(
                                rel,
                                &state.model,
                                prepared
                                    .updatable
                                    .get(&(table.clone(), actor.role.clone()))
                                    .map_or(&[][..], |c| &c[..]),
                            ));
                            (String::new(), format!("update {qualified} as t set {col} = t.{col} where {pred}"))
                        } else {
                            (clear_children(synth, rel, &pred), format!("delete from {qualified} as t where {pred}"))
                        };
                        out.push(Attempt {
                            table: table.clone(),
                            command,
                            row_owner: row.owner().map(str::to_string),
                            expected: expected.clone(),
                            prelude,
                            statement,
                            select: false,
                            forbidden: Vec::new(),
                            target: Some((**row).clone()),
                            parents: Vec::new(),
                        });
                    }
                }
            }
        }
        // INSERT of a row owned by another generated user (and of one's own when denied).
        let Some(insert) = exp.insert else { continue };
        if !state.model.is_owned() || insert == InsertScope::Any {
            continue;
        }
        let me = actor.me.map(|m| m.name.as_str());
        for owner in users.iter().filter(|u| {
            Some(u.name.as_str()) != me || (insert == InsertScope::Deny && !isolation_only)
        }) {
            let spec = RowSpec::owned_by(Some(owner));
            let Ok(values) = synth.values(
                rel,
                &spec,
                900_000 + out.len(),
                &HashMap::new(),
                &HashMap::new(),
                &HashSet::new(),
            ) else {
                continue;
            };
            out.push(Attempt {
                table: table.clone(),
                command: Command::Insert,
                row_owner: Some(owner.name.clone()),
                expected: crate::spec::specs::insert_text(&insert),
                prelude: clear_conflicts(rel, &values),
                statement: insert_sql(rel, &values, ""),
                select: false,
                forbidden: Vec::new(),
                target: None,
                parents: repro::parents_of_insert(synth, rel, &values),
            });
            break;
        }
    }
    out
}

/// Runs the attempts as `actor` through the probe function; the index of the first that
/// got through, and for a SELECT the forbidden row it read.
fn run_attempts(
    client: &mut Client,
    actor: &Actor,
    attempts: &[Attempt],
) -> Result<Option<(usize, Option<PlacedRow>)>, ProbeError> {
    let preludes: Vec<&str> = attempts.iter().map(|a| a.prelude.as_str()).collect();
    let statements: Vec<&str> = attempts.iter().map(|a| a.statement.as_str()).collect();
    let selects: Vec<bool> = attempts.iter().map(|a| a.select).collect();
    let sub = claims::sub_of(&actor.claims);
    let email = actor.me.and_then(|m| m.email.clone()).unwrap_or_default();
    let rows = client
        .query(
            "select idx, ok, n, payload from pg_temp.rlsgate_probe($1, $2, $3, $4, $5, $6, $7, $8) order by idx",
            &[&actor.role, &actor.claims, &sub, &actor.role, &email, &preludes, &statements, &selects],
        )
        .map_err(|e| ProbeError::Db {
            context: "running fuzz statements".into(),
            message: describe(&e),
        })?;
    for row in rows {
        let i = row.get::<_, i32>(0) as usize - 1;
        let ok: bool = row.get(1);
        let n: i64 = row.get(2);
        let payload: Option<String> = row.get(3);
        let a = &attempts[i];
        if !ok {
            continue;
        }
        if a.select {
            let payload = payload.unwrap_or_default();
            let keys: HashSet<&str> = payload.lines().collect();
            if let Some(row) = a.forbidden.iter().find(|r| keys.contains(r.key.as_str())) {
                return Ok(Some((i, Some(row.clone()))));
            }
        } else if n > 0 {
            return Ok(Some((i, None)));
        }
    }
    Ok(None)
}
