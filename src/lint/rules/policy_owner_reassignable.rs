use std::collections::{BTreeMap, BTreeSet};

use super::{gated_by_caller, Context};
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::{Model, Policy, PolicyCommand, Relation};
use crate::lint::policy_columns::{mentions_column, owner_columns};
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;
use crate::sql::names::QualifiedName;

declare_rule! {
    /// ## What it does
    /// Flags an UPDATE (or ALL) policy whose USING ties rows to an owner column
    /// (`auth.uid() = user_id`, or a membership helper such as `is_member(org_id)`) while the
    /// new row is checked by a WITH CHECK that neither names that column nor asks who the caller
    /// is, when nothing else pins the column: a restrictive policy, a BEFORE UPDATE trigger
    /// that reads `new.<column>`, or a column grant that leaves it out.
    ///
    /// ## Why is this bad?
    /// UPDATE checks the old row with USING and the new row with WITH CHECK, and the WITH
    /// CHECKs of all permissive UPDATE policies are OR-ed. If one of them does not constrain the
    /// owner column, the owner can `update ... set user_id = '<someone else>'` and hand the row
    /// to another user or tenant (or take a row into a tenant they do not belong to). Without a
    /// WITH CHECK, Postgres reuses USING, which is safe.
    ///
    /// ## Example
    /// ```sql
    /// create table notes (id uuid primary key, user_id uuid, body text);
    /// alter table notes enable row level security;
    /// create policy "edit own" on notes for update to authenticated
    ///   using ((select auth.uid()) = user_id) with check (body is not null);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table notes (id uuid primary key, user_id uuid, body text);
    /// alter table notes enable row level security;
    /// create policy "edit own" on notes for update to authenticated
    ///   using ((select auth.uid()) = user_id)
    ///   with check ((select auth.uid()) = user_id and body is not null);
    /// ```
    pub RULE, "policy-owner-reassignable", Severity::Warning, Scope::Both, "UPDATE policy lets the owner move a row to another user"
}

fn updates(p: &Policy) -> bool {
    matches!(p.command, PolicyCommand::Update | PolicyCommand::All)
}

fn new_row_check(p: &Policy) -> Option<&str> {
    p.with_check.as_deref().or(p.using.as_deref())
}

/// Owner columns a USING ties to the caller: compared with `auth.uid()`, or passed alone to a
/// helper that checks the caller.
fn owners_of(
    using: &str,
    table: &QualifiedName,
    relation: &Relation,
    checkers: &BTreeSet<QualifiedName>,
) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = owner_columns(using, &table.name)
        .into_iter()
        .map(|c| c.name)
        .collect();
    for (parts, _, end) in crate::lint::expr::called_functions(using) {
        let called = QualifiedName::from_parts(&parts);
        if !called.is_some_and(|c| checkers.contains(&c)) {
            continue;
        }
        let rest = using[end..].trim_start();
        let Some(args) = rest
            .strip_prefix('(')
            .and_then(|r| r.split_once(')'))
            .map(|(a, _)| a)
        else {
            continue;
        };
        for arg in args.split(',') {
            let arg = crate::sql::names::normalize_ident(arg.trim());
            let arg = arg.rsplit('.').next().unwrap_or_default().to_string();
            if relation.has_column(&arg) {
                out.insert(arg);
            }
        }
    }
    out
}

fn pinned(
    model: &Model,
    relation: &Relation,
    role: &str,
    column: &str,
    restrictive: &[&Policy],
) -> bool {
    let by_trigger = model.triggers.iter().any(|t| {
        t.table == relation.name
            && t.before
            && t.events.contains(&PolicyCommand::Update)
            && model.function(&t.function).any(|f| {
                let body = f.body.to_ascii_lowercase();
                body.contains(&format!("new.{column}"))
                    || body.contains(&format!("new.\"{column}\""))
            })
    });
    let by_grant = relation.columns.is_some() && !relation.can_update_column(role, column);
    let by_policy = restrictive
        .iter()
        .any(|p| new_row_check(p).is_some_and(|c| mentions_column(c, column)));
    by_trigger || by_grant || by_policy
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let checks = ctx.model.caller_checks();
    let checkers = &checks.checkers;
    let mut reported = BTreeSet::new();
    let mut update_policies: BTreeMap<&QualifiedName, Vec<&Policy>> = BTreeMap::new();
    for p in ctx.model.policies.iter().filter(|p| updates(p)) {
        update_policies.entry(&p.table).or_default().push(p);
    }
    for relation in ctx.model.relations.values().filter(|r| r.rls_enabled) {
        let table = &relation.name;
        let Some(on_table) = update_policies.get(table) else {
            continue;
        };
        for role in ["authenticated", "anon"] {
            let applies: Vec<&Policy> = on_table
                .iter()
                .copied()
                .filter(|p| p.applies_to(role))
                .collect();
            let restrictive: Vec<&Policy> =
                applies.iter().copied().filter(|p| !p.permissive).collect();
            let permissive: Vec<&Policy> =
                applies.iter().copied().filter(|p| p.permissive).collect();
            for owner_policy in &permissive {
                let Some(using) = owner_policy.using.as_deref() else {
                    continue;
                };
                for column in owners_of(using, table, relation, checkers) {
                    if pinned(ctx.model, relation, role, &column, &restrictive) {
                        continue;
                    }
                    for q in &permissive {
                        let Some(check) = new_row_check(q) else {
                            continue;
                        };
                        if mentions_column(check, &column)
                            || gated_by_caller(check, checkers)
                            || !reported.insert((table.clone(), q.name.clone(), column.clone()))
                        {
                            continue;
                        }
                        let via = if q.name == owner_policy.name {
                            "its WITH CHECK".to_string()
                        } else {
                            format!(
                                "the WITH CHECK of {} (permissive WITH CHECKs are OR-ed)",
                                q.label()
                            )
                        };
                        let site = ctx.refine(q.site, |t| super::find_ci(t, "with check"));
                        out.push(ctx.diagnostic(
                            &RULE,
                            site,
                            q.label(),
                            format!(
                                "{} ties {table} rows to `{column}` in USING, but {via} does not constrain `{column}`: the owner can UPDATE `{column}` and hand the row to someone else",
                                owner_policy.label()
                            ),
                            format!("repeat the owner condition in WITH CHECK (e.g. `with check ((select auth.uid()) = {column})`), or pin `{column}` with a BEFORE UPDATE trigger or a column grant"),
                        ));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    const NOTES: &str = "create table notes (id uuid primary key, user_id uuid, body text);\nalter table notes enable row level security;\n";

    #[test]
    fn with_check_that_leaves_the_owner_free() {
        let sql = format!("{NOTES}create policy e on notes for update to authenticated using ((select auth.uid()) = user_id) with check (body is not null);");
        assert_eq!(
            findings("policy-owner-reassignable", &[&sql]),
            ["001.sql:3:92: policy \"e\" on public.notes ties public.notes rows to `user_id` in USING, but its WITH CHECK does not constrain `user_id`: the owner can UPDATE `user_id` and hand the row to someone else"]
        );
        let admin = format!("{NOTES}create policy e on notes for update to authenticated using ((select auth.uid()) = user_id);\ncreate policy a on notes for update to authenticated using (false) with check (true);");
        assert_eq!(findings("policy-owner-reassignable", &[&admin]).len(), 1);
    }

    #[test]
    fn reused_using_triggers_and_column_grants_pin_it() {
        let reused = format!("{NOTES}create policy e on notes for update to authenticated using ((select auth.uid()) = user_id);");
        assert!(findings("policy-owner-reassignable", &[&reused]).is_empty());
        let loose = "create policy e on notes for update to authenticated using ((select auth.uid()) = user_id) with check (body is not null);";
        let trigger = format!("{NOTES}{loose}\ncreate function keep_owner() returns trigger language plpgsql as $$ begin new.user_id := old.user_id; return new; end $$;\ncreate trigger keep before update on notes for each row execute function keep_owner();");
        assert!(findings("policy-owner-reassignable", &[&trigger]).is_empty());
        let grant = format!("{NOTES}{loose}\nrevoke update on notes from authenticated;\ngrant update (body) on notes to authenticated;");
        assert!(findings("policy-owner-reassignable", &[&grant]).is_empty());
    }
}
