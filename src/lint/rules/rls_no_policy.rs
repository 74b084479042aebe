use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Notes exposed tables with row level security enabled and no policy at all.
    ///
    /// ## Why is this bad?
    /// RLS without policies denies every row to anon and authenticated. That is safe, and is
    /// sometimes what you want (a table only the service role touches), but often a policy was
    /// forgotten and the app silently sees empty results.
    ///
    /// ## Example
    /// ```sql
    /// create table todos (id int, owner uuid);
    /// alter table todos enable row level security;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table todos (id int, owner uuid);
    /// alter table todos enable row level security;
    /// create policy "own todos" on todos for all to authenticated
    ///   using ((select auth.uid()) = owner);
    /// ```
    pub RULE, "rls-no-policy", Severity::Info, Scope::Both, "row level security enabled but no policy: every API request is denied"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let with_policies = ctx.model.tables_with_policies();
    for r in ctx.model.relations.values() {
        if !r.kind.has_rls() || !r.rls_enabled || !ctx.is_exposed(&r.name.schema) {
            continue;
        }
        if with_policies.contains(&r.name) {
            continue;
        }
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(r.rls_enabled_at.or(r.created)),
            r.name.to_string(),
            format!("{} has row level security enabled and no policy: anon and authenticated see no rows and cannot write", r.name),
            "add policies for the access you intend, or keep it deny-all on purpose and suppress this note",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn enabled_without_policy() {
        let sql = "create table todos (id int);\nalter table todos enable row level security;";
        assert_eq!(findings("rls-no-policy", &[sql]), ["001.sql:2:1: public.todos has row level security enabled and no policy: anon and authenticated see no rows and cannot write"]);
        let good = format!("{sql}\ncreate policy p on todos for select using (true);");
        assert!(findings("rls-no-policy", &[&good]).is_empty());
    }
}
