//! Probe statements for one table x identity, and how their outcomes are read.
//!
//! All probes of a table x identity go to the server in one call of a temporary PL/pgSQL
//! function. Each probe runs in its own subtransaction (an exception block): an optional
//! superuser prelude clears what would make the statement fail for reasons other than the
//! policy (a duplicate key, a child row), then the role and JWT claims are set exactly as
//! PostgREST sets them (`role`, `request.jwt.claims`, and the legacy `request.jwt.claim.*`),
//! the statement runs, and the subtransaction is always rolled back.

use std::collections::{BTreeMap, HashMap, HashSet};

use postgres::Client;

use super::catalog::Relation;
use super::owner::Ownership;
use super::rows::{
    insert_sql, key_expr, key_predicate, reference, PlacedRow, RowSpec, Synthesizer, TableState,
};
use super::values::{json_literal, literal};
use crate::matrix::{quote_ident, Command, Outcome};
use crate::spec::Identity;

pub const PROBE_FUNCTION: &str = r#"
create or replace function pg_temp.rlsgate_probe(p_role text, p_claims text, p_sub text, p_claim_role text, p_email text,
                                                 p_preludes text[], p_statements text[], p_selects boolean[],
                                                 p_checks text[] default '{}', p_covers int[] default '{}',
                                                 p_from int default 1, p_done boolean[] default '{}')
returns table (idx int, ok boolean, n bigint, state text, msg text, payload text)
language plpgsql as $fn$
declare
  i int;
  cnt bigint;
  stage text;
  out_text text;
  before_text text;
  err_state text;
  err_msg text;
  err_detail text;
  succeeded boolean[] := coalesce(p_done, '{}');
begin
  -- The claims stay set for every probe of this call (each probe's rollback keeps settings
  -- made before its block); the role is set per probe, after the superuser prelude.
  perform set_config('request.jwt.claims', p_claims, true);
  perform set_config('request.jwt.claim.sub', p_sub, true);
  perform set_config('request.jwt.claim.role', p_claim_role, true);
  perform set_config('request.jwt.claim.email', p_email, true);
  for i in p_from .. coalesce(array_length(p_statements, 1), 0) loop
    if coalesce(succeeded[p_covers[i]], false) then
      idx := i; ok := true; n := 0; state := 'covered'; msg := null; payload := null;
      return next;
      continue;
    end if;
    begin
      stage := 'prelude';
      if p_preludes[i] <> '' then
        execute p_preludes[i];
      end if;
      before_text := null;
      if coalesce(p_checks[i], '') <> '' then
        execute p_checks[i] into before_text;
      end if;
      stage := 'impersonation';
      perform set_config('role', p_role, true);
      stage := 'statement';
      if p_selects[i] then
        execute p_statements[i] into out_text;
        cnt := 0;
      else
        execute p_statements[i];
        get diagnostics cnt = row_count;
        out_text := '';
      end if;
      if before_text is not null then
        stage := 'check';
        perform set_config('role', 'none', true);
        execute p_checks[i] into out_text;
        out_text := before_text || chr(30) || coalesce(out_text, '');
      end if;
      raise exception using errcode = 'RLSG0', message = coalesce(out_text, ''), detail = cnt::text;
    exception when query_canceled then
      -- The statement timeout, caught so that the probes already run keep their results; the
      -- caller runs the rest in a new call (a new timeout). A cancel (a signal) goes on.
      get stacked diagnostics err_msg = message_text;
      if err_msg not like '%statement timeout%' then
        raise;
      end if;
      idx := i; ok := false; n := 0; state := 'timeout'; msg := err_msg; payload := null;
      return next;
      return;
    when others then
      get stacked diagnostics err_state = returned_sqlstate, err_msg = message_text, err_detail = pg_exception_detail;
      idx := i;
      if err_state = 'RLSG0' then
        ok := true; n := err_detail::bigint; state := null; msg := null; payload := err_msg;
        succeeded[i] := true;
      elsif stage not in ('statement') then
        ok := false; n := 0; state := 'setup'; msg := 'probe ' || stage || ' failed (' || err_state || '): ' || err_msg; payload := null;
      else
        ok := false; n := 0; state := err_state; msg := err_msg; payload := null;
      end if;
      return next;
    end;
  end loop;
end
$fn$;
"#;

#[derive(Debug, Clone)]
pub struct PlannedProbe {
    pub command: Command,
    /// `rows` (select), `own`/`other`/`any` (insert), a row label (update/delete), `transfer`.
    pub target: String,
    pub prelude: String,
    pub statement: String,
    pub select: bool,
    /// Superuser SQL snapshotting the table (`key@ctid@owner` per row) before and after the
    /// statement, for statements without a row filter: which rows they really changed.
    pub check: Option<String>,
    /// Why the probe could not even be built: it is then inconclusive without running.
    pub unbuildable: Option<String>,
    /// An earlier probe (its command and target) whose success makes this one redundant: it
    /// is then skipped and reported as covered. By name, not position, so that a plan whose
    /// probes were filtered (mutation testing keeps some commands) never points elsewhere.
    pub covered_by: Option<(Command, &'static str)>,
}

pub struct Plan<'a> {
    pub rel: &'a Relation,
    pub identity: &'a Identity,
    pub probes: Vec<PlannedProbe>,
}

pub struct ProbeResult {
    pub outcome: Outcome,
    pub payload: String,
    /// Not run: a probe it depends on already settled what it would have shown.
    pub covered: bool,
}

/// Builds every probe for one table x identity.
pub fn plan<'a>(
    synth: &Synthesizer,
    rel: &'a Relation,
    state: Option<&TableState>,
    identity: &'a Identity,
    owners: &[&Identity],
    updatable: &[String],
    seq: &mut usize,
) -> Plan<'a> {
    let mut probes = Vec::new();
    let key = key_expr(rel);
    let table = rel.table.qualified();
    let row_based = rel.kind.holds_rows();
    let select_sql = if row_based {
        format!(
            "select coalesce(string_agg(k, E'\\n'), '') from (select {key} as k from {table} t) s"
        )
    } else {
        format!("select coalesce(string_agg(to_jsonb(t)::text, E'\\n'), '') from {table} t")
    };
    probes.push(probe(
        Command::Select,
        "rows",
        String::new(),
        select_sql,
        true,
    ));

    if !row_based {
        plan_relation_writes(rel, identity, &mut probes);
        return Plan {
            rel,
            identity,
            probes,
        };
    }
    let Some(state) = state else {
        return Plan {
            rel,
            identity,
            probes,
        };
    };
    let ownership = state.ownership.clone();
    let other = owners.iter().copied().find(|o| o.name != identity.name);
    let own_row = state
        .rows
        .iter()
        .find(|r| r.owner.as_deref() == Some(identity.name.as_str()));

    // INSERT
    if ownership.is_owned() {
        let me = identity.owns_rows().then_some(identity);
        let own_probe = insert_probe(synth, rel, me, "own", seq);
        if me.is_some() || own_probe.unbuildable.is_none() {
            probes.push(own_probe);
        }
        if let Some(o) = other {
            probes.push(insert_probe(synth, rel, Some(o), "other", seq));
        }
    } else {
        probes.push(insert_probe(synth, rel, None, "any", seq));
    }

    // UPDATE and DELETE of every row at once, then of one labelled row at a time: those run
    // only when the statement without a filter failed, since a filter can only narrow what
    // it reaches (it brings in the SELECT policies).
    let touch = touch_column(rel, &ownership, updatable);
    if !state.rows.is_empty() {
        probes.extend(unfiltered_probes(
            synth,
            rel,
            &ownership,
            &state.rows,
            &touch,
            own_row.and(other),
        ));
    }
    let cover = |probes: &[PlannedProbe], command: Command, target: &'static str| {
        probes
            .iter()
            .any(|p| p.command == command && p.target == target)
            .then_some((command, target))
    };
    let mut seen = HashSet::new();
    for row in state.rows.iter().filter(|r| seen.insert(r.label.clone())) {
        let pred = key_predicate(rel, row);
        let col = quote_ident(&touch);
        let update = probe(
            Command::Update,
            &row.label,
            String::new(),
            format!("update {table} as t set {col} = t.{col} where {pred}"),
            false,
        );
        let delete = probe(
            Command::Delete,
            &row.label,
            children_sql(synth, rel, &pred),
            format!("delete from {table} as t where {pred}"),
            false,
        );
        probes.push(PlannedProbe {
            covered_by: cover(&probes, Command::Update, UNFILTERED),
            ..update
        });
        probes.push(PlannedProbe {
            covered_by: cover(&probes, Command::Delete, UNFILTERED),
            ..delete
        });
    }

    // Ownership transfer: the identity's own row handed to another owner.
    if let (Some(row), Some(o)) = (own_row, other) {
        let transfer = transfer_probe(synth, rel, &ownership, row, o);
        probes.push(PlannedProbe {
            covered_by: cover(&probes, Command::Update, TRANSFER_UNFILTERED),
            ..transfer
        });
    }
    Plan {
        rel,
        identity,
        probes,
    }
}

fn probe(
    command: Command,
    target: &str,
    prelude: String,
    statement: String,
    select: bool,
) -> PlannedProbe {
    PlannedProbe {
        command,
        target: target.to_string(),
        prelude: without_enforcement(prelude),
        statement,
        select,
        check: None,
        unbuildable: None,
        covered_by: None,
    }
}

fn insert_probe(
    synth: &Synthesizer,
    rel: &Relation,
    owner: Option<&Identity>,
    target: &str,
    seq: &mut usize,
) -> PlannedProbe {
    *seq += 1;
    let spec = RowSpec {
        owner,
        fixed: BTreeMap::new(),
    };
    match synth.probe_values(rel, &spec, 100_000 + *seq) {
        Ok(values) => {
            let prelude = conflicts_sql(rel, &values, "false");
            probe(
                Command::Insert,
                target,
                prelude,
                insert_sql(rel, &values, ""),
                false,
            )
        }
        Err(why) => PlannedProbe {
            unbuildable: Some(why),
            ..probe(Command::Insert, target, String::new(), String::new(), false)
        },
    }
}

/// `SET` assignments handing a row to `to`: its owner column, or the foreign key to a parent
/// row `to` owns.
fn transfer_assignments(
    synth: &Synthesizer,
    rel: &Relation,
    ownership: &Ownership,
    to: &Identity,
) -> Result<BTreeMap<String, String>, String> {
    let mut set = BTreeMap::new();
    match ownership {
        Ownership::Column(col) => {
            let ty = rel
                .column(col)
                .map(|c| c.sql_type.clone())
                .unwrap_or_else(|| "uuid".into());
            set.insert(
                col.clone(),
                format!("{}::{ty}", literal(to.sub.as_deref().unwrap_or_default())),
            );
        }
        Ownership::Parent { fk, parent } => {
            let fk = &rel.foreign_keys[*fk];
            let target = synth
                .states
                .get(parent)
                .and_then(|s| {
                    s.rows
                        .iter()
                        .find(|r| r.owner.as_deref() == Some(to.name.as_str()))
                })
                .ok_or_else(|| format!("{} has no row owned by {} to move to", parent, to.name))?;
            set.extend(reference(rel, fk, target));
        }
        Ownership::None => {}
    }
    Ok(set)
}

fn set_clause(set: &BTreeMap<String, String>) -> String {
    set.iter()
        .map(|(c, v)| format!("{} = {v}", quote_ident(c)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn transfer_probe(
    synth: &Synthesizer,
    rel: &Relation,
    ownership: &Ownership,
    row: &PlacedRow,
    to: &Identity,
) -> PlannedProbe {
    let table = rel.table.qualified();
    let pred = key_predicate(rel, row);
    let set = match transfer_assignments(synth, rel, ownership, to) {
        Ok(set) => set,
        Err(why) => {
            return PlannedProbe {
                unbuildable: Some(why),
                ..probe(
                    Command::Update,
                    TRANSFER,
                    String::new(),
                    String::new(),
                    false,
                )
            }
        }
    };
    let mut prelude = children_sql(synth, rel, &pred);
    prelude.push_str(&conflicts_sql(rel, &row_after(rel, row, &set), &pred));
    probe(
        Command::Update,
        TRANSFER,
        prelude,
        format!("update {table} as t set {} where {pred}", set_clause(&set)),
        false,
    )
}

/// `row`'s values once `set` is applied, as `column -> literal::type`: a unique key the new
/// owner already holds with the row's other columns collides.
fn row_after(
    rel: &Relation,
    row: &PlacedRow,
    set: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut after: BTreeMap<String, String> = rel
        .columns
        .iter()
        .filter_map(|c| {
            let v = row.json.get(&c.name).filter(|v| {
                !v.is_null()
                    && (!(v.is_array() || v.is_object())
                        || matches!(c.base_type.as_str(), "json" | "jsonb"))
            })?;
            Some((
                c.name.clone(),
                format!("{}::{}", json_literal(v), c.sql_type),
            ))
        })
        .collect();
    after.extend(set.clone());
    after
}

/// A row filter makes Postgres apply the SELECT policies to an UPDATE or DELETE too, so a
/// probe aimed at one row cannot see a write policy that is wider than what the identity
/// can read. These probes send the statement with no filter, as a client may, and learn
/// from before/after snapshots which rows it really changed (or handed to another owner).
fn unfiltered_probes(
    synth: &Synthesizer,
    rel: &Relation,
    ownership: &Ownership,
    rows: &[PlacedRow],
    touch: &str,
    transfer_to: Option<&Identity>,
) -> Vec<PlannedProbe> {
    let table = rel.table.qualified();
    let check = Some(snapshot_sql(rel, ownership));
    let no_children = children_sql(synth, rel, "true");
    let mut probes = vec![
        PlannedProbe {
            check: check.clone(),
            ..probe(
                Command::Update,
                UNFILTERED,
                String::new(),
                format!(
                    "update {table} as t set {}",
                    constant_assignment(rel, ownership, rows, touch)
                ),
                false,
            )
        },
        PlannedProbe {
            check: check.clone(),
            ..probe(
                Command::Delete,
                UNFILTERED,
                no_children.clone(),
                format!("delete from {table} as t"),
                false,
            )
        },
    ];
    // Handing every reachable row to one owner collides when the owner is (part of) a unique
    // key, e.g. a profile keyed by its user; the per-row transfer probe covers those tables.
    let owner_is_unique = |set: &BTreeMap<String, String>| {
        std::iter::once(&rel.primary_key)
            .chain(&rel.uniques)
            .chain(rel.partial_uniques.iter().map(|(k, _)| k))
            .any(|key| !key.is_empty() && key.iter().all(|c| set.contains_key(c)))
    };
    if let Some(to) = transfer_to {
        if let Some(set) = transfer_assignments(synth, rel, ownership, to)
            .ok()
            .filter(|s| !owner_is_unique(s))
        {
            let mut prelude = no_children;
            prelude.push_str(&conflicts_sql(rel, &set, "false"));
            // each row handed over keeps its other key columns: clear what it would meet
            if let Some(state) = synth.states.get(&rel.table) {
                for row in &state.rows {
                    let pred = key_predicate(rel, row);
                    prelude.push_str(&conflicts_sql(rel, &row_after(rel, row, &set), &pred));
                }
            }
            probes.push(PlannedProbe {
                check,
                ..probe(
                    Command::Update,
                    TRANSFER_UNFILTERED,
                    prelude,
                    format!("update {table} as t set {}", set_clause(&set)),
                    false,
                )
            });
        }
    }
    probes
}

/// `col = <a value some row already holds>`: a SET that reads no column, so Postgres applies
/// only the UPDATE policy (reading a column, even `col = t.col`, brings in the SELECT
/// policies). The column is outside every unique key and every key or owner column, so one
/// value for all rows collides with nothing. Without such a column, `touch = t.touch`.
fn constant_assignment(
    rel: &Relation,
    ownership: &Ownership,
    rows: &[PlacedRow],
    touch: &str,
) -> String {
    let owner_col = match ownership {
        Ownership::Column(c) => Some(c.as_str()),
        _ => None,
    };
    let keyed = |name: &str| {
        std::iter::once(&rel.primary_key)
            .chain(&rel.uniques)
            .chain(rel.partial_uniques.iter().map(|(k, _)| k))
            .any(|k| k.iter().any(|c| c == name))
            || rel
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.iter().any(|c| c == name))
            || Some(name) == owner_col
    };
    let value = |name: &str| {
        rows.iter()
            .find_map(|r| r.json.get(name).filter(|v| !v.is_null()).map(json_literal))
    };
    // a JSON array read back from a text[] column is no array literal
    let scalar_or_json = |c: &&super::catalog::Column| {
        matches!(c.base_type.as_str(), "json" | "jsonb") || c.category != 'A'
    };
    let free = rel
        .columns
        .iter()
        .filter(|c| c.writable() && !keyed(&c.name))
        .filter(scalar_or_json);
    let pick = free
        .clone()
        .filter(|c| c.name == touch)
        .chain(free)
        .find_map(|c| value(&c.name).map(|v| (c, v)));
    match pick {
        Some((c, v)) => format!("{} = {v}::{}", quote_ident(&c.name), c.sql_type),
        None => {
            let col = quote_ident(touch);
            format!("{col} = t.{col}")
        }
    }
}

/// `key␟ctid␟owner` per row, one per line, read by the superuser.
fn snapshot_sql(rel: &Relation, ownership: &Ownership) -> String {
    let owner = match ownership {
        Ownership::Column(col) => format!("t.{}::text", quote_ident(col)),
        Ownership::Parent { fk, .. } => {
            let cols: Vec<String> = rel.foreign_keys[*fk]
                .columns
                .iter()
                .map(|c| format!("t.{}", quote_ident(c)))
                .collect();
            format!("row({})::text", cols.join(", "))
        }
        Ownership::None => "''".to_string(),
    };
    format!(
        "select coalesce(string_agg(k, E'\\n'), '') from (select {} || chr(31) || t.ctid::text || chr(31) || coalesce({owner}, '') as k from {} as t) s",
        key_expr(rel),
        rel.table.qualified()
    )
}

/// Rows an unfiltered probe changed, by key: deleted, rewritten, or given another owner.
pub struct Changes {
    pub touched: Vec<String>,
    pub reowned: Vec<String>,
}

pub fn changes(payload: &str) -> Option<Changes> {
    let (before, after) = payload.split_once('\u{1e}')?;
    let parse = |text: &str| -> HashMap<String, (String, String)> {
        text.lines()
            .filter_map(|l| {
                let mut parts = l.split('\u{1f}');
                Some((
                    parts.next()?.to_string(),
                    (
                        parts.next()?.to_string(),
                        parts.next().unwrap_or("").to_string(),
                    ),
                ))
            })
            .collect()
    };
    let (before, after) = (parse(before), parse(after));
    let mut touched = Vec::new();
    let mut reowned = Vec::new();
    for (key, (ctid, owner)) in &before {
        match after.get(key) {
            None => touched.push(key.clone()),
            Some((c, o)) => {
                if c != ctid {
                    touched.push(key.clone());
                }
                if o != owner {
                    reowned.push(key.clone());
                }
            }
        }
    }
    Some(Changes { touched, reowned })
}

pub const TRANSFER: &str = "transfer";
/// Target of the UPDATE and DELETE probes sent without a row filter.
pub const UNFILTERED: &str = "unfiltered";
pub const TRANSFER_UNFILTERED: &str = "transfer unfiltered";

/// Writes to views and materialized views: whole-relation statements.
fn plan_relation_writes(rel: &Relation, _identity: &Identity, probes: &mut Vec<PlannedProbe>) {
    let table = rel.table.qualified();
    let Some(col) = rel.columns.iter().find(|c| c.writable()) else {
        return;
    };
    let col = quote_ident(&col.name);
    probes.push(probe(
        Command::Update,
        "rows",
        String::new(),
        format!("update {table} as t set {col} = t.{col}"),
        false,
    ));
    probes.push(probe(
        Command::Delete,
        "rows",
        String::new(),
        format!("delete from {table} as t"),
        false,
    ));
    probes.push(probe(
        Command::Insert,
        "any",
        String::new(),
        format!("insert into {table} default values"),
        false,
    ));
}

/// The column an UPDATE probe sets to itself: a plain data column the role may update when
/// there is one (column-level grants count), so the probe tests the policy rather than key
/// or ownership changes; with no updatable column the probe meets the missing grant.
pub(crate) fn touch_column(rel: &Relation, ownership: &Ownership, updatable: &[String]) -> String {
    let owner_col = match ownership {
        Ownership::Column(c) => Some(c.as_str()),
        _ => None,
    };
    let is_key = |name: &str| {
        rel.primary_key.iter().any(|c| c == name)
            || rel
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.iter().any(|c| c == name))
    };
    let granted = |name: &str| updatable.iter().any(|u| u == name);
    let plain =
        |c: &&super::catalog::Column| Some(c.name.as_str()) != owner_col && !is_key(&c.name);
    let writable = || rel.columns.iter().filter(|c| c.writable());
    writable()
        .find(|c| granted(&c.name) && plain(c))
        .or_else(|| writable().find(|c| granted(&c.name)))
        .or_else(|| writable().find(plain))
        .or_else(|| writable().next())
        .map(|c| c.name.clone())
        .unwrap_or_else(|| rel.columns[0].name.clone())
}

/// Foreign-key and trigger enforcement off while a prelude clears rows, where the connection
/// may do that (a superuser); elsewhere the deletes run with enforcement on, and a refusal
/// makes the probe inconclusive.
const REPLICA_ON: &str =
    "select set_config('session_replication_role', 'replica', true) where current_setting('is_superuser') = 'on'; ";
const REPLICA_OFF: &str =
    "select set_config('session_replication_role', 'origin', true) where current_setting('is_superuser') = 'on';";

/// `sql` with foreign-key and trigger enforcement off (`session_replication_role = replica`),
/// switched once: each switch empties the backend's plan cache, so a prelude joining several
/// clearing steps is wrapped as a whole.
fn without_enforcement(sql: String) -> String {
    if sql.is_empty() {
        sql
    } else {
        format!("{REPLICA_ON}{sql}{REPLICA_OFF}")
    }
}

/// Superuser SQL removing rows that would collide with `values` on a unique key, with
/// enforcement off.
pub(crate) fn clear_conflicts(rel: &Relation, values: &BTreeMap<String, String>) -> String {
    without_enforcement(conflicts_sql(rel, values, "false"))
}

/// The deletes of `clear_conflicts`, sparing rows matching `keep`, with enforcement as it is.
fn conflicts_sql(rel: &Relation, values: &BTreeMap<String, String>, keep: &str) -> String {
    let mut sql = String::new();
    let table = rel.table.qualified();
    let keys = std::iter::once((&rel.primary_key, "true"))
        .chain(rel.uniques.iter().map(|k| (k, "true")))
        .chain(rel.partial_uniques.iter().map(|(k, p)| (k, p.as_str())))
        .filter(|(k, _)| !k.is_empty());
    for (key, predicate) in keys {
        let Some(vals) = key
            .iter()
            .map(|c| values.get(c))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let cols: Vec<String> = key
            .iter()
            .map(|c| format!("t.{}", quote_ident(c)))
            .collect();
        let vals: Vec<&str> = vals.iter().map(|s| s.as_str()).collect();
        sql.push_str(&format!(
            "delete from {table} as t where ({}) = ({}) and ({predicate}) and not ({keep}); ",
            cols.join(", "),
            vals.join(", ")
        ));
    }
    sql
}

/// Superuser SQL removing the rows that reference the row(s) matching `pred`, so a DELETE
/// or a key change is judged by its policy, not by a RESTRICT foreign key. Rows a cascade
/// would delete are followed: their own restricting children go too.
pub(crate) fn clear_children(synth: &Synthesizer, rel: &Relation, pred: &str) -> String {
    without_enforcement(children_sql(synth, rel, pred))
}

/// The deletes of `clear_children`, with enforcement as it is.
fn children_sql(synth: &Synthesizer, rel: &Relation, pred: &str) -> String {
    let mut sql = String::new();
    clear_children_into(synth, rel, pred, 0, &mut sql);
    sql
}

fn clear_children_into(
    synth: &Synthesizer,
    rel: &Relation,
    pred: &str,
    depth: usize,
    sql: &mut String,
) {
    let table = rel.table.qualified();
    for child in &synth.catalog.relations {
        if !child.kind.holds_rows() {
            continue;
        }
        for fk in child
            .foreign_keys
            .iter()
            .filter(|fk| fk.target == rel.table)
        {
            let cols: Vec<String> = fk.columns.iter().map(|c| quote_ident(c)).collect();
            let tcols: Vec<String> = fk
                .target_columns
                .iter()
                .map(|c| format!("t.{}", quote_ident(c)))
                .collect();
            let referencing = format!(
                "({}) in (select {} from {table} as t where {pred})",
                cols.join(", "),
                tcols.join(", ")
            );
            if fk.on_delete != 'c' {
                sql.push_str(&format!(
                    "delete from {} where {referencing}; ",
                    child.table.qualified()
                ));
            } else if depth < 2
                && child.table != rel.table
                && synth
                    .states
                    .get(&child.table)
                    .is_some_and(|s| !s.rows.is_empty())
            {
                let inner = cols
                    .iter()
                    .map(|c| format!("t.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let child_pred = format!(
                    "({inner}) in (select {} from {table} as t where {pred})",
                    tcols.join(", ")
                );
                clear_children_into(synth, child, &child_pred, depth + 1, sql);
            }
        }
    }
}

/// Runs a plan's probes in one round trip; results in plan order.
pub fn execute(client: &mut Client, plan: &Plan) -> Result<Vec<ProbeResult>, postgres::Error> {
    let id = plan.identity;
    let claims = id.claims.to_string();
    let sub = id.sub.clone().unwrap_or_default();
    let email = id.email.clone().unwrap_or_default();
    let runnable: Vec<&PlannedProbe> = plan
        .probes
        .iter()
        .filter(|p| p.unbuildable.is_none())
        .collect();
    let preludes: Vec<&str> = runnable.iter().map(|p| p.prelude.as_str()).collect();
    let statements: Vec<&str> = runnable.iter().map(|p| p.statement.as_str()).collect();
    let selects: Vec<bool> = runnable.iter().map(|p| p.select).collect();
    let checks: Vec<&str> = runnable
        .iter()
        .map(|p| p.check.as_deref().unwrap_or(""))
        .collect();
    let covers: Vec<i32> = runnable
        .iter()
        .map(|p| {
            p.covered_by
                .and_then(|cover| position_of(&runnable, cover))
                .map_or(0, |r| r as i32 + 1)
        })
        .collect();
    let mut by_index: HashMap<usize, ProbeResult> = HashMap::new();
    let mut done = vec![false; runnable.len()];
    let mut from = 0;
    while from < runnable.len() {
        let first = from as i32 + 1;
        let rows = client.query(
            "select idx, ok, n, state, msg, payload from pg_temp.rlsgate_probe($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[&id.role, &claims, &sub, &id.role, &email, &preludes, &statements, &selects, &checks, &covers, &first, &done],
        )?;
        from = runnable.len();
        for row in rows {
            let idx = row.get::<_, i32>(0) as usize - 1;
            let state = row.get::<_, Option<String>>(3);
            if state.as_deref() == Some(TIMED_OUT) {
                // A probe that started late in the call had less than the whole timeout:
                // it runs again first in the next call; one that had it all is inconclusive.
                if idx + 1 > first as usize {
                    from = idx;
                    break;
                }
                let message = timeout_message(client, plan, runnable[idx].command);
                by_index.insert(
                    idx,
                    ProbeResult {
                        outcome: Outcome::Inconclusive {
                            sqlstate: "57014".into(),
                            message,
                        },
                        payload: String::new(),
                        covered: false,
                    },
                );
                from = idx + 1;
                break;
            }
            let ok: bool = row.get(1);
            let n: i64 = row.get(2);
            let covered = state.as_deref() == Some("covered");
            done[idx] = ok && !covered;
            let payload = row.get::<_, Option<String>>(5).unwrap_or_default();
            let outcome = if ok {
                if runnable[idx].select {
                    Outcome::Allowed {
                        rows: payload.lines().count() as u64,
                    }
                } else if n > 0 {
                    Outcome::Allowed { rows: n as u64 }
                } else {
                    Outcome::Filtered
                }
            } else {
                classify(
                    state.unwrap_or_default(),
                    row.get::<_, Option<String>>(4).unwrap_or_default(),
                )
            };
            by_index.insert(
                idx,
                ProbeResult {
                    outcome,
                    payload,
                    covered,
                },
            );
        }
    }
    let mut out = Vec::with_capacity(plan.probes.len());
    let mut r = 0;
    for p in &plan.probes {
        match &p.unbuildable {
            Some(why) => out.push(ProbeResult {
                outcome: Outcome::Inconclusive {
                    sqlstate: "rlsgate".into(),
                    message: format!("probe not built: {why}"),
                },
                payload: String::new(),
                covered: false,
            }),
            None => {
                out.push(by_index.remove(&r).unwrap_or(ProbeResult {
                    outcome: Outcome::Inconclusive {
                        sqlstate: "rlsgate".into(),
                        message: "no result returned".into(),
                    },
                    payload: String::new(),
                    covered: false,
                }));
                r += 1;
            }
        }
    }
    Ok(out)
}

/// Postgres's own words for a statement stopped by `statement_timeout`.
pub fn is_statement_timeout(e: &postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|d| d.code().code() == "57014" && d.message().contains("statement timeout"))
}

/// The state the probe function reports for a probe the statement timeout stopped.
const TIMED_OUT: &str = "timeout";

/// Why a probe that ran past the statement timeout is inconclusive: the table, the identity,
/// the limit, and what could be slow, namely the functions the policies for that command
/// call (and, for writes, the table's trigger functions), or the policies themselves.
fn timeout_message(client: &mut Client, plan: &Plan, command: Command) -> String {
    let polcmd = match command {
        Command::Select => "r",
        Command::Insert => "a",
        Command::Update => "w",
        Command::Delete => "d",
    };
    let suspects: String = client
        .query_one(
            "with pol as (
               select p.oid, p.polname from pg_policy p
               where p.polrelid = $1::text::regclass and p.polcmd::text in ($2::text, '*'))
             select coalesce(string_agg(s, '; '), '') from (
               select format('policy %I calls %s', pol.polname,
                             string_agg(distinct d.refobjid::regprocedure::text, ', ')) as s
               from pol join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = pol.oid
                                         and d.refclassid = 'pg_proc'::regclass
               where d.refobjid::regprocedure::text not in ('auth.uid()', 'auth.jwt()', 'auth.role()', 'auth.email()')
               group by pol.polname
               union all
               select format('policy %I (%s)', pol.polname,
                             left(coalesce(pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), 'true'), 120))
               from pol join pg_policy p on p.oid = pol.oid
               where not exists (select 1 from pg_depend d where d.classid = 'pg_policy'::regclass
                                   and d.objid = pol.oid and d.refclassid = 'pg_proc'::regclass)
               union all
               select format('trigger %I calls %s', t.tgname, t.tgfoid::regprocedure)
               from pg_trigger t where t.tgrelid = $1::text::regclass and not t.tgisinternal and $2::text <> 'r'
             ) suspects",
            &[&plan.rel.table.qualified(), &polcmd],
        )
        .map(|r| r.get(0))
        .unwrap_or_default();
    let limit: String = client
        .query_one("select current_setting('statement_timeout')", &[])
        .map(|r| r.get(0))
        .unwrap_or_default();
    let what = if suspects.is_empty() {
        String::new()
    } else {
        format!("; {suspects}")
    };
    format!(
        "{command} on {} as {} did not finish within the probe timeout ({limit}){what}; \
         raise --probe-timeout or `[timeouts] probe` in rlsgate.toml, or make it finish",
        plan.rel.table.display_name(),
        plan.identity.name
    )
}

/// Where the probe `cover` (command and target) sits among `probes`.
pub fn position_of(probes: &[&PlannedProbe], cover: (Command, &str)) -> Option<usize> {
    probes
        .iter()
        .position(|p| p.command == cover.0 && p.target == cover.1)
}

/// 42501 is both "new row violates row-level security policy" (RLS) and "permission denied"
/// (grants): told apart by the message. Writes to relations that cannot take them are
/// refused for everyone. Anything else means the probe did not test the policy.
pub fn classify(sqlstate: String, message: String) -> Outcome {
    match sqlstate.as_str() {
        "42501" if message.contains("row-level security") => Outcome::DeniedRls { message },
        "42501" => Outcome::DeniedPrivilege { message },
        "42809" | "55000" if message.starts_with("cannot") => Outcome::DeniedPrivilege { message },
        _ => Outcome::Inconclusive { sqlstate, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_tells_rls_from_grants_and_never_calls_constraints_denied() {
        assert!(matches!(
            classify(
                "42501".into(),
                "new row violates row-level security policy for table \"t\"".into()
            ),
            Outcome::DeniedRls { .. }
        ));
        assert!(matches!(
            classify("42501".into(), "permission denied for table t".into()),
            Outcome::DeniedPrivilege { .. }
        ));
        for state in ["23502", "23503", "23505", "23514", "42P17", "P0001"] {
            assert!(
                matches!(
                    classify(state.into(), "x".into()),
                    Outcome::Inconclusive { .. }
                ),
                "{state}"
            );
        }
    }
}
