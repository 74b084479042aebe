//! Mutation analysis of the specs: weaken the database's security one statement at a time
//! (drop a policy, widen an expression, disable RLS, grant to anon, ...), probe again, and
//! see whether the specs notice. A mutant no failing cell catches is a gap in the specs.
//!
//! Each mutant is one SQL statement applied inside a probe transaction that is rolled back,
//! on the database prepared once; different mutants run on different connections.

mod beyond;
mod flip;
pub mod functions;
mod generate;
pub mod report;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

use serde::{Serialize, Serializer};

pub use generate::generate;

use crate::matrix::{Command, Observation, TableRef};
use crate::migrate::Database;
use crate::probe::{self, Execution, Prepared, ProbeConnection, ProbeError};
use crate::spec::{Identity, Specs};
use crate::verdict::{self, Action, Cell, CellOutcome, Reach, Subject};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MutantKind {
    DropPolicy,
    UsingTrue,
    CheckTrue,
    NoTo,
    FlipEquality,
    DisableRls,
    GrantAnon,
    HelperTrue,
    /// EXECUTE on a function granted to anon.
    GrantExecuteAnon,
    /// EXECUTE on a function granted to PUBLIC (every role).
    GrantExecutePublic,
    /// SECURITY INVOKER made DEFINER, or DEFINER made INVOKER.
    SecuritySwap,
    /// A function's `if <caller check> then raise ... end if` removed.
    NoCallerCheck,
}

impl MutantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MutantKind::DropPolicy => "drop-policy",
            MutantKind::UsingTrue => "using-true",
            MutantKind::CheckTrue => "check-true",
            MutantKind::NoTo => "no-to",
            MutantKind::FlipEquality => "flip-equality",
            MutantKind::DisableRls => "disable-rls",
            MutantKind::GrantAnon => "grant-anon",
            MutantKind::HelperTrue => "helper-true",
            MutantKind::GrantExecuteAnon => "grant-execute-anon",
            MutantKind::GrantExecutePublic => "grant-execute-public",
            MutantKind::SecuritySwap => "security-swap",
            MutantKind::NoCallerCheck => "no-caller-check",
        }
    }

    /// What the mutant does, in words.
    pub fn verb(self) -> &'static str {
        match self {
            MutantKind::DropPolicy => "drop",
            MutantKind::UsingTrue => "USING (true) in",
            MutantKind::CheckTrue => "WITH CHECK (true) in",
            MutantKind::NoTo => "remove the TO clause of",
            MutantKind::FlipEquality => "= flipped to <> in",
            MutantKind::DisableRls => "disable RLS on",
            MutantKind::GrantAnon => "grant to anon on",
            MutantKind::HelperTrue => "make return true:",
            MutantKind::GrantExecuteAnon => "grant EXECUTE to anon on",
            MutantKind::GrantExecutePublic => "grant EXECUTE to PUBLIC on",
            MutantKind::SecuritySwap => "swap SECURITY INVOKER/DEFINER of",
            MutantKind::NoCallerCheck => "remove the caller check of",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Mutant {
    /// `M1`, `M2`, ... in generation order.
    pub id: String,
    pub kind: MutantKind,
    /// The table the mutation is on (none for a helper function).
    pub table: Option<TableRef>,
    /// The policy, table or function mutated, in words.
    pub subject: String,
    /// The one statement that applies it.
    pub sql: String,
    /// The relations whose probes could notice it (the others are not re-probed).
    #[serde(skip)]
    pub tables: Vec<TableRef>,
    /// Only identities of these database roles could notice it (empty: any).
    #[serde(skip)]
    pub only_roles: Vec<String>,
    /// Identities of these database roles cannot notice it.
    #[serde(skip)]
    pub except_roles: Vec<String>,
    /// On its own table, only probes of these commands can notice it (empty: any); a policy
    /// for UPDATE changes nothing that SELECT, INSERT or DELETE do.
    #[serde(skip)]
    pub only_commands: Vec<Command>,
}

impl Mutant {
    /// The identities whose probes could notice the mutant.
    pub fn observers(&self, identities: &[Identity]) -> Vec<String> {
        identities
            .iter()
            .filter(|i| self.only_roles.is_empty() || self.only_roles.contains(&i.role))
            .filter(|i| !self.except_roles.contains(&i.role))
            .map(|i| i.name.clone())
            .collect()
    }

    /// Whether the probes of `command` on `table` could notice the mutant.
    pub fn observed_by(&self, table: &TableRef, command: Command) -> bool {
        self.only_commands.is_empty()
            || self.table.as_ref() != Some(table)
            || self.only_commands.contains(&command)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A cell that passed now fails (or is inconclusive): the gate catches the mutant.
    Killed,
    /// Access changed, yet every cell still passes or is unspecified: a gap in the specs.
    Survived,
    /// No probe sees any difference in access: nothing the specs could catch with these
    /// identities and rows.
    Equivalent,
    /// No cell changed, but a probe that could notice it was inconclusive: no evidence either
    /// way, so never counted as equivalent (and it fails `rlsgate mutate` like a survivor).
    Inconclusive,
    /// The statement could not be applied.
    Invalid,
}

/// The cell that catches a mutant, or would have.
#[derive(Debug, Clone)]
pub struct Witness {
    pub subject: Subject,
    pub identity: String,
    pub action: Action,
    /// What the spec declares (`unspecified` when nothing).
    pub expected: Reach,
    /// Observed without the mutant.
    pub before: Reach,
    /// Observed with the mutant.
    pub after: Reach,
    pub outcome: CellOutcome,
    pub detail: String,
}

/// `{"table": {...}, "command": ...}` for a relation's cell, `{"function": "schema.f(args)",
/// "action": "execute"}` for a function's, then what the spec and the probes said.
impl Serialize for Witness {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        match &self.subject {
            Subject::Relation(table) => {
                map.serialize_entry("table", table)?;
                map.serialize_entry("identity", &self.identity)?;
                map.serialize_entry("command", &self.action)?;
            }
            Subject::Function { function, .. } => {
                map.serialize_entry("function", function)?;
                map.serialize_entry("identity", &self.identity)?;
                map.serialize_entry("action", &self.action)?;
            }
        }
        map.serialize_entry("expected", &self.expected)?;
        map.serialize_entry("before", &self.before)?;
        map.serialize_entry("after", &self.after)?;
        map.serialize_entry("outcome", &self.outcome)?;
        map.serialize_entry("detail", &self.detail)?;
        map.end()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MutantResult {
    #[serde(flatten)]
    pub mutant: Mutant,
    pub status: Status,
    /// Killed: the first cell that fails. Survived: the first cell whose access changed.
    /// Inconclusive: the first inconclusive cell.
    pub cell: Option<Witness>,
    /// Invalid: why the statement failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Equivalent under the probes, yet an unfiltered write reaches rows beyond the spec:
    /// what it reached (the matrix cannot show this; see docs/mutate.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beyond: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub killed: usize,
    pub survived: usize,
    pub equivalent: usize,
    pub inconclusive: usize,
    pub invalid: usize,
}

impl Summary {
    pub fn of(results: &[MutantResult]) -> Summary {
        let mut s = Summary {
            total: results.len(),
            ..Summary::default()
        };
        for r in results {
            match r.status {
                Status::Killed => s.killed += 1,
                Status::Survived => s.survived += 1,
                Status::Equivalent => s.equivalent += 1,
                Status::Inconclusive => s.inconclusive += 1,
                Status::Invalid => s.invalid += 1,
            }
        }
        s
    }
}

/// What judging a matrix needs besides the observations.
pub struct Judge<'a> {
    pub prepared: &'a Prepared,
    pub specs: &'a Specs,
    pub identities: &'a [Identity],
}

impl Judge<'_> {
    pub fn cells(&self, observations: &[Observation]) -> Vec<Cell> {
        observations
            .iter()
            .filter_map(|obs| {
                let identity = self.identities.iter().find(|i| i.name == obs.identity)?;
                let rows = self.prepared.rows.iter().find(|r| r.table == obs.table)?;
                let exp = self.specs.expectation(&obs.table, identity);
                Some(verdict::judge(obs, exp.as_ref(), rows, identity))
            })
            .collect()
    }
}

type CellKey = (Subject, String, Action);

fn key(c: &Cell) -> CellKey {
    (c.subject.clone(), c.identity.clone(), c.action)
}

/// Compares the cells of a mutant's pass with the baseline's.
pub fn classify(mutant: Mutant, baseline: &HashMap<CellKey, Cell>, cells: &[Cell]) -> MutantResult {
    let witness = |c: &Cell, before: &Cell| Witness {
        subject: c.subject.clone(),
        identity: c.identity.clone(),
        action: c.action,
        expected: c.expected.clone(),
        before: before.actual.clone(),
        after: c.actual.clone(),
        outcome: c.outcome,
        detail: c.detail.clone(),
    };
    let mut killed = None;
    let mut changed = None;
    let mut unknown = None;
    for c in cells {
        let Some(before) = baseline.get(&key(c)) else {
            continue;
        };
        if kills(c, baseline) {
            killed.get_or_insert_with(|| witness(c, before));
        } else if c.actual != before.actual {
            changed.get_or_insert_with(|| witness(c, before));
        } else if c.outcome == CellOutcome::Inconclusive {
            unknown.get_or_insert_with(|| witness(c, before));
        }
    }
    let (status, cell) = match (killed, changed, unknown) {
        (Some(w), _, _) => (Status::Killed, Some(w)),
        (None, Some(w), _) => (Status::Survived, Some(w)),
        (None, None, Some(w)) => (Status::Inconclusive, Some(w)),
        (None, None, None) => (Status::Equivalent, None),
    };
    MutantResult {
        mutant,
        status,
        cell,
        error: None,
        beyond: None,
    }
}

fn caught(o: CellOutcome) -> bool {
    matches!(
        o,
        CellOutcome::Fail | CellOutcome::Inconclusive | CellOutcome::PolicyError
    )
}

/// The gate fails on this cell and did not without the mutant.
fn kills(c: &Cell, baseline: &HashMap<CellKey, Cell>) -> bool {
    caught(c.outcome) && baseline.get(&key(c)).is_some_and(|b| !caught(b.outcome))
}

pub struct RunOptions<'a> {
    pub jobs: usize,
    pub only_identities: &'a [String],
    /// Called after each mutant (for progress).
    pub on_done: &'a (dyn Fn(usize) + Sync),
}

/// Probes the baseline, then every mutant, and classifies each.
pub fn run(
    db: &mut Database,
    judge: &Judge,
    mutants: Vec<Mutant>,
    opts: &RunOptions,
) -> Result<(Vec<Cell>, Vec<MutantResult>), ProbeError> {
    let exec = |extra_sql| Execution {
        only_identities: opts.only_identities,
        jobs: opts.jobs,
        extra_sql,
    };
    let base_obs = probe::observe_all(db, judge.prepared, &exec(None))?;
    let base_cells = judge.cells(&base_obs);
    let baseline: HashMap<CellKey, Cell> = base_cells.iter().map(|c| (key(c), c.clone())).collect();
    let baseline = &baseline;
    let done = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<MutantResult>>> =
        mutants.iter().map(|_| Mutex::new(None)).collect();
    let evaluate = |m: &Mutant,
                    outcome: Result<Vec<Observation>, ProbeError>|
     -> Result<MutantResult, ProbeError> {
        match outcome {
            Ok(obs) => Ok(classify(m.clone(), baseline, &judge.cells(&obs))),
            Err(ProbeError::Db { context, message }) if context == "applying the extra SQL" => {
                Ok(MutantResult {
                    mutant: m.clone(),
                    status: Status::Invalid,
                    cell: None,
                    error: Some(message),
                    beyond: None,
                })
            }
            Err(e) => Err(e),
        }
    };

    let order = interleave_by_table(&mutants);
    let first = ProbeConnection::open(db)?;
    match first {
        None => {
            for &i in &order {
                let m = &mutants[i];
                let obs = probe::observe_all(db, judge.prepared, &exec(Some(&m.sql)));
                *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(evaluate(m, obs)?);
                (opts.on_done)(done.fetch_add(1, Ordering::Relaxed) + 1);
            }
        }
        Some(first) => {
            let mut connections = vec![first];
            for _ in 1..opts.jobs.clamp(1, mutants.len().max(1)) {
                connections.extend(ProbeConnection::open(db)?);
            }
            let next = AtomicUsize::new(0);
            let alone = RwLock::new(());
            let failure: Mutex<Option<ProbeError>> = Mutex::new(None);
            std::thread::scope(|scope| {
                for mut conn in connections {
                    let (next, order, mutants, results, failure, done, alone) =
                        (&next, &order, &mutants, &results, &failure, &done, &alone);
                    let evaluate = &evaluate;
                    scope.spawn(move || loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = order.get(n) else { break };
                        let m = &mutants[i];
                        let observers = m.observers(judge.identities);
                        if observers.is_empty() {
                            *results[i].lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(classify(m.clone(), baseline, &[]));
                            (opts.on_done)(done.fetch_add(1, Ordering::Relaxed) + 1);
                            continue;
                        }
                        let e = Execution {
                            only_identities: &observers,
                            jobs: 1,
                            extra_sql: Some(&m.sql),
                        };
                        let observed_by = |t: &TableRef, c: Command| m.observed_by(t, c);
                        let stop_when_killed = || {
                            let mut seen = 0;
                            move |obs: &[Observation]| {
                                let fresh = judge.cells(&obs[seen..]);
                                seen = obs.len();
                                fresh.iter().any(|c| kills(c, baseline))
                            }
                        };
                        let together = {
                            let _shared = alone.read().unwrap_or_else(|p| p.into_inner());
                            conn.try_observe(
                                judge.prepared,
                                &m.tables,
                                &observed_by,
                                &e,
                                &mut stop_when_killed(),
                            )
                        };
                        // Lost a lock race: run again with no other mutant in flight.
                        let obs = match together {
                            Ok(None) => {
                                let _exclusive = alone.write().unwrap_or_else(|p| p.into_inner());
                                conn.try_observe(
                                    judge.prepared,
                                    &m.tables,
                                    &observed_by,
                                    &e,
                                    &mut stop_when_killed(),
                                )
                                .and_then(|o| {
                                    o.ok_or_else(|| ProbeError::Db {
                                        context: "running probes".into(),
                                        message: "a lock conflict with no other connection running"
                                            .into(),
                                    })
                                })
                            }
                            Ok(Some(o)) => Ok(o),
                            Err(e) => Err(e),
                        };
                        match evaluate(m, obs) {
                            Ok(r) => {
                                *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r)
                            }
                            Err(e) => {
                                failure
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .get_or_insert(e);
                                next.store(order.len(), Ordering::Relaxed);
                            }
                        }
                        (opts.on_done)(done.fetch_add(1, Ordering::Relaxed) + 1);
                    });
                }
            });
            if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
                return Err(e);
            }
        }
    }
    let mut results: Vec<MutantResult> = results
        .into_iter()
        .filter_map(|r| r.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect();
    if let Some(mut conn) = ProbeConnection::open(db)? {
        beyond::second_look(conn.client(), judge.prepared, judge.specs, &mut results)?;
    }
    Ok((base_cells, results))
}

/// Mutant indices ordered so that neighbours are on different tables: mutants that run at
/// the same time then rarely wait for each other's locks.
fn interleave_by_table(mutants: &[Mutant]) -> Vec<usize> {
    let mut groups: Vec<(Option<&TableRef>, Vec<usize>)> = Vec::new();
    for (i, m) in mutants.iter().enumerate() {
        match groups.iter_mut().find(|(t, _)| *t == m.table.as_ref()) {
            Some((_, g)) => g.push(i),
            None => groups.push((m.table.as_ref(), vec![i])),
        }
    }
    let mut order = Vec::with_capacity(mutants.len());
    let mut round = 0;
    while order.len() < mutants.len() {
        for (_, g) in &groups {
            if let Some(&i) = g.get(round) {
                order.push(i);
            }
        }
        round += 1;
    }
    order
}

/// Numbers the mutants `M1`, `M2`, ... and keeps those on the selected tables (all when empty).
pub fn number(mutants: Vec<Mutant>, tables: &[String]) -> Vec<Mutant> {
    let selected: BTreeSet<&str> = tables.iter().map(String::as_str).collect();
    mutants
        .into_iter()
        .enumerate()
        .map(|(i, mut m)| {
            m.id = format!("M{}", i + 1);
            m
        })
        .filter(|m| {
            selected.is_empty()
                || m.tables.iter().any(|t| {
                    selected.contains(t.name.as_str()) || selected.contains(t.to_string().as_str())
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(outcome: CellOutcome, actual: &str) -> Cell {
        Cell {
            subject: Subject::Relation(TableRef::new("public", "posts")),
            identity: "alice".into(),
            action: Action::Select,
            expected: Reach::read(Action::Select, "own").unwrap(),
            actual: Reach::read(Action::Select, actual).unwrap(),
            reached: None,
            allowed: None,
            outcome,
            detail: "syntax error at or near \"user\"".into(),
            probes: Vec::new(),
            suspicion: None,
            shapes: Vec::new(),
        }
    }

    fn mutant() -> Mutant {
        Mutant {
            id: "M1".into(),
            kind: MutantKind::DisableRls,
            table: Some(TableRef::new("public", "posts")),
            subject: "posts".into(),
            sql: "alter table public.posts disable row level security".into(),
            tables: Vec::new(),
            only_roles: Vec::new(),
            except_roles: Vec::new(),
            only_commands: Vec::new(),
        }
    }

    #[test]
    fn a_mutant_whose_probes_are_inconclusive_is_never_equivalent() {
        let unknown = cell(CellOutcome::Inconclusive, "inconclusive");
        let baseline = HashMap::from([(key(&unknown), unknown.clone())]);
        let result = classify(mutant(), &baseline, std::slice::from_ref(&unknown));
        assert_eq!(result.status, Status::Inconclusive);
        assert!(result
            .cell
            .is_some_and(|w| w.detail.contains("syntax error")));

        let pass = cell(CellOutcome::Pass, "own");
        let baseline = HashMap::from([(key(&pass), pass.clone())]);
        assert_eq!(
            classify(mutant(), &baseline, std::slice::from_ref(&pass)).status,
            Status::Equivalent
        );
        assert_eq!(
            classify(mutant(), &baseline, &[unknown]).status,
            Status::Killed
        );
    }
}
