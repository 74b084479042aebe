use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::policy_columns::captured_columns;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags a comparison inside a policy's subquery where an unqualified column name that the
    /// policy's table has is taken by the subquery's own table, so both sides of the comparison
    /// read the subquery's rows and the policy's row is never looked at.
    ///
    /// ## Why is this bad?
    /// Postgres resolves an unqualified name in the innermost FROM first. In
    /// `exists (select 1 from team_members tm where tm.user_id = auth.uid() and tm.team_id = team_id)`
    /// on `projects(team_id)`, `team_id` is `tm.team_id`: Postgres stores
    /// `tm.team_id = tm.team_id`, always true, and any member of any team passes for every
    /// project. The catalog shows it (`pg_get_expr` prints the resolved expression); the
    /// migration text does not. The catalog lint reads the tables' columns from the migrated
    /// database, so columns added anywhere count.
    ///
    /// ## Example
    /// ```sql
    /// create table projects (id uuid primary key, team_id uuid not null);
    /// create table team_members (team_id uuid not null, user_id uuid not null);
    /// alter table projects enable row level security;
    /// create policy "members read" on projects for select to authenticated using (
    ///   exists (select 1 from team_members tm
    ///           where tm.user_id = (select auth.uid()) and tm.team_id = team_id));
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table projects (id uuid primary key, team_id uuid not null);
    /// create table team_members (team_id uuid not null, user_id uuid not null);
    /// alter table projects enable row level security;
    /// create policy "members read" on projects for select to authenticated using (
    ///   exists (select 1 from team_members tm
    ///           where tm.user_id = (select auth.uid()) and tm.team_id = projects.team_id));
    /// ```
    pub RULE, "policy-captured-column", Severity::Error, Scope::Both, "unqualified column in a policy subquery resolves to the subquery's table"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let columns = |name: &crate::sql::names::QualifiedName| {
        ctx.model
            .relations
            .get(name)
            .and_then(|r| r.columns.clone())
    };
    for p in &ctx.model.policies {
        let Some(text) = p.site.and_then(|s| ctx.sources.text(s)) else {
            continue;
        };
        for c in captured_columns(text, &p.table, &columns) {
            let name = &c.column.name;
            let message = if c.tautology {
                format!(
                    "{}: `{name}` inside the subquery is {}.{name}, not {}.{name}, so `{} = {name}` compares {}.{name} with itself and is always true",
                    p.label(), c.inner, p.table, c.other, c.inner
                )
            } else {
                format!(
                    "{}: `{name}` inside the subquery is {}.{name}, not {}.{name}: `{} = {name}` never looks at the policy's row",
                    p.label(), c.inner, p.table, c.other
                )
            };
            out.push(ctx.diagnostic(
                &RULE,
                ctx.within(p.site, c.column.start, c.column.end),
                p.label(),
                message,
                format!(
                    "qualify it with the policy's table: `{}.{name}`",
                    p.table.name
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    const TABLES: &str = "create table projects (id uuid primary key, team_id uuid, name text);\ncreate table team_members (id uuid, team_id uuid, user_id uuid);\ncreate table teams (id uuid, name text);\n";

    #[test]
    fn the_captured_name_is_pointed_at() {
        let sql = format!("{TABLES}create policy p on projects for select to authenticated using (\n  exists (select 1 from team_members tm where tm.user_id = (select auth.uid()) and tm.team_id = team_id));");
        assert_eq!(
            findings("policy-captured-column", &[&sql]),
            ["001.sql:5:97: policy \"p\" on public.projects: `team_id` inside the subquery is public.team_members.team_id, not public.projects.team_id, so `tm.team_id = team_id` compares public.team_members.team_id with itself and is always true"]
        );
    }

    #[test]
    fn near_misses_pass() {
        for using in [
            "exists (select 1 from team_members tm where tm.team_id = projects.team_id and tm.user_id = (select auth.uid()))",
            "exists (select 1 from teams t where t.id = team_id)",
            "team_id in (select tm.team_id from team_members tm where tm.user_id = (select auth.uid()))",
        ] {
            let sql = format!("{TABLES}create policy p on projects for select to authenticated using ({using});");
            assert!(findings("policy-captured-column", &[&sql]).is_empty(), "{using}");
        }
    }
}
