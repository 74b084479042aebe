use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::expr::{called_functions, user_metadata_mention};
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;
use crate::sql::names::QualifiedName;

declare_rule! {
    /// ## What it does
    /// Flags policies that read `user_metadata` (from `auth.jwt()`) or `raw_user_meta_data`
    /// (from `auth.users`), directly or through a function they call (an `is_admin()` helper).
    ///
    /// ## Why is this bad?
    /// Users can change their own user metadata with `supabase.auth.updateUser()`. A policy
    /// that trusts it for roles or tenancy lets any user grant themselves access. Use
    /// `app_metadata`, which only the service role can write, or a table you control.
    ///
    /// ## Example
    /// ```sql
    /// create policy "admins" on reports for select to authenticated
    ///   using ((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create policy "admins" on reports for select to authenticated
    ///   using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');
    /// ```
    pub RULE, "policy-user-metadata", Severity::Error, Scope::Both, "policy trusts user-editable user metadata"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let reading: std::collections::HashMap<&QualifiedName, &crate::lint::model::Function> = ctx
        .model
        .functions
        .iter()
        .filter(|f| user_metadata_mention(&f.body).is_some())
        .map(|f| (&f.name, f))
        .collect();
    for p in &ctx.model.policies {
        if p.expressions()
            .any(|(_, e)| user_metadata_mention(e).is_some())
        {
            out.push(ctx.diagnostic(
                &RULE,
                ctx.refine(p.site, user_metadata_mention),
                p.label(),
                format!(
                    "{} reads user metadata, which every user can edit for themselves",
                    p.label()
                ),
                "read roles and tenancy from `app_metadata` or from a table users cannot write",
            ));
            continue;
        }
        let helper = p
            .expressions()
            .flat_map(|(_, e)| called_functions(e))
            .find_map(|(parts, _, _)| {
                let name = QualifiedName::from_parts(&parts)?;
                let f = *reading.get(&name)?;
                Some((parts, f))
            });
        if let Some((parts, f)) = helper {
            let written = parts.join(".");
            out.push(ctx.diagnostic(
                &RULE,
                ctx.refine(p.site, |t| super::find_ci(t, &written)),
                p.label(),
                format!("{} calls {}, which reads user metadata that every user can edit for themselves", p.label(), f.signature()),
                format!("make {} read `app_metadata` or a table users cannot write", f.name),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn jwt_user_metadata_is_flagged_at_the_mention() {
        let sql = "create policy \"admins\" on reports for select\n  using ((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');";
        assert_eq!(findings("policy-user-metadata", &[sql]), ["001.sql:2:26: policy \"admins\" on public.reports reads user metadata, which every user can edit for themselves"]);
        assert!(findings(
            "policy-user-metadata",
            &["create policy a on r using ((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin');"]
        )
        .is_empty());
    }
}
