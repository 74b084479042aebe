use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::expr::is_always_true;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags permissive INSERT, UPDATE, DELETE and ALL policies for anon or authenticated (or
    /// PUBLIC) whose `USING` or `WITH CHECK` is always true. (A restrictive policy that is
    /// always true restricts nothing and grants nothing: it is not flagged.)
    ///
    /// ## Why is this bad?
    /// `using (true)` on a write policy lets every caller change or delete every row, and
    /// `with check (true)` lets them write rows owned by anyone. A read policy with `using (true)`
    /// can be an intentional public read; a write policy almost never is.
    ///
    /// ## Example
    /// ```sql
    /// create policy "anyone can edit" on posts for update to authenticated using (true);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create policy "authors edit their posts" on posts for update to authenticated
    ///   using ((select auth.uid()) = author_id)
    ///   with check ((select auth.uid()) = author_id);
    /// ```
    pub RULE, "policy-always-true", Severity::Warning, Scope::Both, "write policy whose condition is always true"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for p in &ctx.model.policies {
        if !p.permissive || !p.applies_to_api() || !p.command.writes() {
            continue;
        }
        for (clause, expr) in p.expressions() {
            if !is_always_true(expr) {
                continue;
            }
            let site = ctx.refine(p.site, |text| {
                let lower = text.to_ascii_lowercase();
                let at = lower.find(&clause.to_ascii_lowercase())?;
                let rel = lower[at..].find("true").or_else(|| lower[at..].find('1'))?;
                let len = if lower[at + rel..].starts_with("true") {
                    4
                } else {
                    1
                };
                Some((at + rel, at + rel + len))
            });
            out.push(ctx.diagnostic(
                &RULE,
                site,
                p.label(),
                format!(
                    "{} allows {} for {} on every row: {clause} is always true",
                    p.label(),
                    p.command.as_str(),
                    p.roles.join(", ")
                ),
                "restrict the condition to the rows the caller owns, e.g. `(select auth.uid()) = user_id`",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn write_policies_that_admit_everything() {
        let sql = "create table posts (id int);\nalter table posts enable row level security;\ncreate policy \"edit\" on posts for update to authenticated using (true);\ncreate policy \"add\" on posts for insert with check (1 = 1);\ncreate policy \"read\" on posts for select using (true);";
        assert_eq!(
            findings("policy-always-true", &[sql]),
            [
                "001.sql:3:66: policy \"edit\" on public.posts allows UPDATE for authenticated on every row: USING is always true",
                "001.sql:4:53: policy \"add\" on public.posts allows INSERT for public on every row: WITH CHECK is always true",
            ]
        );
    }

    #[test]
    fn service_role_policies_and_real_conditions_pass() {
        let sql = "create table posts (id int, a uuid);\ncreate policy r on posts as restrictive for update to authenticated using (true) with check (a is not null);\ncreate policy s on posts for all to service_role using (true);\ncreate policy o on posts for delete to authenticated using ((select auth.uid()) = a);";
        assert!(findings("policy-always-true", &[sql]).is_empty());
    }
}
