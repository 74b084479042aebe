//! Running a plan: every probe of a table x identity in one call of a temporary PL/pgSQL
//! function, each in a subtransaction that is always rolled back, and what each outcome means.

use std::collections::HashMap;

use postgres::Client;

use super::timeout::{timeout_message, TIMED_OUT};
use super::{Plan, PlannedProbe, ProbeResult};
use crate::matrix::{Command, Outcome};
use crate::probe::catalog::Relation;

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
  err_context text;
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
      get stacked diagnostics err_state = returned_sqlstate, err_msg = message_text, err_detail = pg_exception_detail,
                              err_context = pg_exception_context;
      idx := i;
      if err_state = 'RLSG0' then
        ok := true; n := err_detail::bigint; state := null; msg := null; payload := err_msg;
        succeeded[i] := true;
      elsif stage not in ('statement') then
        ok := false; n := 0; state := 'setup'; msg := 'probe ' || stage || ' failed (' || err_state || '): ' || err_msg; payload := null;
      else
        ok := false; n := 0; state := err_state; msg := err_msg; payload := err_context;
      end if;
      return next;
    end;
  end loop;
end
$fn$;
"#;

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
            // a failed probe's payload is its error context
            let mut payload = row.get::<_, Option<String>>(5).unwrap_or_default();
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
                let outcome = classify(
                    state.unwrap_or_default(),
                    row.get::<_, Option<String>>(4).unwrap_or_default(),
                );
                policy_error(outcome, &std::mem::take(&mut payload), plan.rel)
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

/// An error raised while the policies of `rel` ran, not about the row: recursion, a privilege
/// on another relation the policy reads (`permission denied for table users`), or any error
/// inside a function the policies call (a raise in a helper). `context` is the error's
/// PL/pgSQL context, innermost frame first.
pub fn policy_error(outcome: Outcome, context: &str, rel: &Relation) -> Outcome {
    let (sqlstate, message) = match &outcome {
        Outcome::Inconclusive { sqlstate, message } => (sqlstate.as_str(), message.as_str()),
        Outcome::DeniedPrivilege { message } => ("42501", message.as_str()),
        _ => return outcome,
    };
    if !rel.kind.holds_rows() || matches!(sqlstate, "57014" | "40P01" | "40001" | "55P03") {
        return outcome;
    }
    let in_policy = match outermost_function(context) {
        Some(function) => rel.policy_functions.contains(&function),
        None if sqlstate == "42P17" => message.contains("in policy"),
        None if sqlstate == "42501" => denied_object(message).is_some_and(|(kind, name)| {
            name != rel.table.name
                && match kind {
                    "function" => rel.policy_functions.iter().any(|f| f == name),
                    "table" | "view" | "relation" | "materialized view" => {
                        crate::sql::names::names_word(&rel.policy_text, name)
                    }
                    _ => false,
                }
        }),
        None => false,
    };
    if in_policy {
        Outcome::PolicyError {
            sqlstate: sqlstate.to_string(),
            message: message.to_string(),
        }
    } else {
        outcome
    }
}

/// The name of the outermost function in an error context, below the probe's own function:
/// `PL/pgSQL function is_member(uuid) line 3 at RAISE`, `SQL function "is_member" statement 1`.
fn outermost_function(context: &str) -> Option<String> {
    context
        .lines()
        .rev()
        .filter_map(|line| {
            let rest = line
                .strip_prefix("PL/pgSQL function ")
                .or_else(|| line.strip_prefix("SQL function "))?;
            let name = match rest.strip_prefix('"') {
                Some(quoted) => quoted.split('"').next()?,
                None => rest.split('(').next()?,
            };
            let name = name.rsplit('.').next()?.trim_matches('"');
            (name != "rlsgate_probe").then(|| name.to_string())
        })
        .next()
}

/// `permission denied for table users` -> (`table`, `users`).
fn denied_object(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("permission denied for ")?;
    let (kind, name) = rest.rsplit_once(' ')?;
    Some((kind, name.trim_matches('"')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outermost_function_below_the_probe_names_where_an_error_comes_from() {
        let context = "PL/pgSQL function private.check_role(text) line 4 at RAISE\n\
                       SQL function \"is_admin\" statement 1\n\
                       PL/pgSQL function pg_temp_3.rlsgate_probe(text,text) line 40 at EXECUTE";
        assert_eq!(outermost_function(context).as_deref(), Some("is_admin"));
        assert_eq!(
            outermost_function("PL/pgSQL function pg_temp_3.rlsgate_probe(text) line 1 at EXECUTE"),
            None
        );
        assert_eq!(
            denied_object("permission denied for table users"),
            Some(("table", "users"))
        );
    }

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
