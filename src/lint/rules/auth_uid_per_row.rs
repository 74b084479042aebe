use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::expr::per_row_auth_calls;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags policies that call `auth.uid()`, `auth.jwt()`, `auth.role()`, `auth.email()` or
    /// `current_setting()` directly instead of inside `(select ...)`.
    ///
    /// ## Why is this bad?
    /// Postgres re-evaluates the bare call for every row it checks. Wrapped in a scalar
    /// subquery, it becomes an init plan evaluated once per statement; on large tables the
    /// difference is orders of magnitude.
    ///
    /// ## Example
    /// ```sql
    /// create policy "own" on todos for select to authenticated using (auth.uid() = owner);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create policy "own" on todos for select to authenticated using ((select auth.uid()) = owner);
    /// ```
    pub RULE, "auth-uid-per-row", Severity::Warning, Scope::Both, "auth function re-evaluated for every row"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for p in &ctx.model.policies {
        let calls: Vec<String> = p
            .expressions()
            .flat_map(|(_, e)| per_row_auth_calls(e))
            .map(|c| c.2)
            .collect();
        let Some(first) = calls.first() else { continue };
        out.push(ctx.diagnostic(
            &RULE,
            ctx.refine(p.site, |text| {
                per_row_auth_calls(text).first().map(|c| (c.0, c.1))
            }),
            p.label(),
            format!("{} calls {first} for every row", p.label()),
            format!("wrap the call in a subquery: `(select {first})`"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn bare_auth_uid_is_flagged_at_the_call() {
        let sql = "create policy \"own\" on todos for select to authenticated using (auth.uid() = owner);";
        assert_eq!(
            findings("auth-uid-per-row", &[sql]),
            ["001.sql:1:65: policy \"own\" on public.todos calls auth.uid() for every row"]
        );
        let good = "create policy \"own\" on todos for select to authenticated using ((select auth.uid()) = owner);";
        assert!(findings("auth-uid-per-row", &[good]).is_empty());
    }
}
