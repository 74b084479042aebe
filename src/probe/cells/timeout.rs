//! Probes past the statement timeout: what makes the cell inconclusive, and what could be
//! slow.

use postgres::Client;

use super::Plan;
use crate::matrix::Command;

/// Postgres's own words for a statement stopped by `statement_timeout`.
pub fn is_statement_timeout(e: &postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|d| d.code().code() == "57014" && d.message().contains("statement timeout"))
}

/// The state the probe function reports for a probe the statement timeout stopped.
pub(super) const TIMED_OUT: &str = "timeout";

/// Why a probe that ran past the statement timeout is inconclusive: the table, the identity,
/// the limit, and what could be slow, namely the functions the policies for that command
/// call (and, for writes, the table's trigger functions), or the policies themselves.
pub(super) fn timeout_message(client: &mut Client, plan: &Plan, command: Command) -> String {
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
