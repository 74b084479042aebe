use std::collections::BTreeMap;

use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::API_ROLES;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags tables where one role has several permissive policies for the same command.
    ///
    /// ## Why is this bad?
    /// Permissive policies are OR-ed: every one of them runs for every row, and the loosest one
    /// wins. Overlapping policies are slower and make it easy to widen access by accident;
    /// merge them into one policy or make the extra conditions RESTRICTIVE.
    ///
    /// ## Example
    /// ```sql
    /// create policy "own" on docs for select to authenticated using ((select auth.uid()) = owner);
    /// create policy "shared" on docs for select to authenticated using (shared);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create policy "own or shared" on docs for select to authenticated
    ///   using ((select auth.uid()) = owner or shared);
    /// ```
    pub RULE, "multiple-permissive-policies", Severity::Warning, Scope::Both, "several permissive policies for one role and command"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut groups: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for p in ctx
        .model
        .policies
        .iter()
        .filter(|p| p.permissive && ctx.is_exposed(&p.table.schema))
    {
        for command in p.command.expand() {
            for role in API_ROLES.into_iter().filter(|r| p.applies_to(r)) {
                groups
                    .entry((p.table.clone(), *command, role))
                    .or_default()
                    .push(p);
            }
        }
    }
    let mut reported = std::collections::BTreeSet::new();
    for ((table, command, role), policies) in groups {
        if policies.len() < 2 {
            continue;
        }
        let names: Vec<String> = policies.iter().map(|p| format!("\"{}\"", p.name)).collect();
        if !reported.insert((table.clone(), command, names.clone())) {
            continue;
        }
        let roles: Vec<&str> = API_ROLES
            .into_iter()
            .filter(|r| policies.iter().all(|p| p.applies_to(r)))
            .collect();
        let roles = if roles.is_empty() {
            role.to_string()
        } else {
            roles.join(", ")
        };
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(policies[1].site),
            format!("{table}"),
            format!(
                "{table} has {} permissive {} policies for {roles}: {}",
                policies.len(),
                command.as_str(),
                names.join(", ")
            ),
            "merge them into one policy, or mark the extra conditions `as restrictive`",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn overlapping_permissive_policies() {
        let sql = "create policy \"own\" on docs for select to authenticated using (a);\ncreate policy \"all\" on docs for all to authenticated using (b);\ncreate policy \"r\" on docs as restrictive for select to authenticated using (c);";
        assert_eq!(findings("multiple-permissive-policies", &[sql]), ["001.sql:2:1: public.docs has 2 permissive SELECT policies for authenticated: \"own\", \"all\""]);
        assert!(findings("multiple-permissive-policies", &["create policy a on d for select to anon using (x);\ncreate policy b on d for select to authenticated using (y);"]).is_empty());
    }
}
