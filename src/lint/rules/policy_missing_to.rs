use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Notes policies without a `TO` clause on exposed tables.
    ///
    /// ## Why is this bad?
    /// A policy without `TO` applies to PUBLIC: anon as well as authenticated. That is often
    /// not what the author had in mind, and it makes Postgres evaluate the policy for anonymous
    /// requests too. Naming the roles documents intent and skips the work for the others.
    ///
    /// ## Example
    /// ```sql
    /// create policy "own rows" on todos for select using ((select auth.uid()) = owner);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create policy "own rows" on todos for select to authenticated
    ///   using ((select auth.uid()) = owner);
    /// ```
    pub RULE, "policy-missing-to", Severity::Info, Scope::Both, "policy without TO applies to PUBLIC, anon included"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for p in &ctx.model.policies {
        if p.to_written || p.roles != ["public"] || !ctx.is_exposed(&p.table.schema) {
            continue;
        }
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(p.site),
            p.label(),
            format!(
                "{} has no TO clause, so it applies to every role, anon included",
                p.label()
            ),
            "add `to authenticated` (or `to anon, authenticated` if anonymous access is intended)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn policy_without_to() {
        assert_eq!(
            findings(
                "policy-missing-to",
                &["create policy p on t for select using (true);"]
            )
            .len(),
            1
        );
        assert!(findings(
            "policy-missing-to",
            &["create policy p on t for select to authenticated using (true);"]
        )
        .is_empty());
        assert!(
            findings(
                "policy-missing-to",
                &["create policy p on t for all to public;"]
            )
            .is_empty(),
            "TO public, written, says what it means"
        );
    }
}
