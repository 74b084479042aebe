use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags tables that have policies while row level security is off.
    ///
    /// ## Why is this bad?
    /// Policies do nothing until RLS is enabled. The author clearly meant to restrict access,
    /// but every row stays readable and writable by anyone the table is granted to.
    ///
    /// ## Example
    /// ```sql
    /// create table notes (id int, owner uuid);
    /// create policy "own notes" on notes using ((select auth.uid()) = owner);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table notes (id int, owner uuid);
    /// alter table notes enable row level security;
    /// create policy "own notes" on notes using ((select auth.uid()) = owner);
    /// ```
    pub RULE, "policy-without-rls", Severity::Error, Scope::Both, "policies exist but row level security is disabled"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let with_policies = ctx.model.tables_with_policies();
    for r in ctx.model.relations.values() {
        if !r.kind.has_rls()
            || r.rls_enabled
            || !ctx.is_exposed(&r.name.schema)
            || !with_policies.contains(&r.name)
        {
            continue;
        }
        let policies: Vec<_> = ctx.model.policies_on(&r.name).collect();
        let Some(first) = policies.first() else {
            continue;
        };
        let names: Vec<String> = policies.iter().map(|p| format!("\"{}\"", p.name)).collect();
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(first.site),
            r.name.to_string(),
            format!(
                "{} has {} ({}) but row level security is not enabled, so they are ignored",
                r.name,
                if policies.len() == 1 {
                    "a policy"
                } else {
                    "policies"
                },
                names.join(", ")
            ),
            format!("add `alter table {} enable row level security;`", r.name),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn policy_on_table_without_rls() {
        let sql = "create table notes (id int, owner uuid);\ncreate policy \"own\" on notes using (owner = auth.uid());";
        assert_eq!(findings("policy-without-rls", &[sql]), ["001.sql:2:1: public.notes has a policy (\"own\") but row level security is not enabled, so they are ignored"]);
        let good = format!("{sql}\nalter table notes enable row level security;");
        assert!(findings("policy-without-rls", &[&good]).is_empty());
    }
}
