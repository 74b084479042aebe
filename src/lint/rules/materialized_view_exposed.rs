use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::RelKind;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags materialized views in exposed schemas that anon or authenticated can select from.
    ///
    /// ## Why is this bad?
    /// Materialized views and foreign tables have no row level security. In an exposed schema with the default grants, every row is served to anon and authenticated.
    ///
    /// ## Example
    /// ```sql
    /// create materialized view public.leaderboard as select user_id, sum(points) from public.scores group by 1;
    /// ```
    ///
    /// Use instead (move it out of the API, or revoke access):
    /// ```sql
    /// create materialized view private.leaderboard as select user_id, sum(points) from public.scores group by 1;
    /// ```
    pub RULE, "materialized-view-exposed", Severity::Warning, Scope::Both, "materialized view readable through the API (no RLS possible)"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    super::flag_readable_without_rls(
        ctx,
        out,
        &RULE,
        RelKind::MaterializedView,
        "materialized view",
    );
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn materialized_view_in_public() {
        let bad = "create materialized view public.board as select 1 as x;";
        assert_eq!(findings("materialized-view-exposed", &[bad]), ["001.sql:1:1: materialized view public.board is readable by anon, authenticated through the API and cannot have row level security"]);
        let good = format!("{bad}\nrevoke all on public.board from anon, authenticated;");
        assert!(findings("materialized-view-exposed", &[&good]).is_empty());
    }
}
