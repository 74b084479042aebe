use super::Context;
use crate::lint::body::written_tables;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::Model;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::tokens::referenced_relations;
use crate::lint::Severity;
use crate::sql::names::QualifiedName;

declare_rule! {
    /// ## What it does
    /// Flags SECURITY DEFINER functions that anon or authenticated can call through the API
    /// which write a table, or read rows that RLS gives to their users (a table whose policies
    /// look at `auth.uid()`/`auth.jwt()`, or `auth.*`, `vault.*`), and never ask who is
    /// calling: no `auth.uid()`, `auth.jwt()`, `auth.role()`, request claims, nor a call to a
    /// function that does (a membership helper such as `is_org_member(org_id)`).
    ///
    /// It is an error when anon can call it (anyone with the project's public key) and it
    /// writes; a warning otherwise. Trigger functions are not callable and are skipped, and so
    /// are read-only functions returning `boolean`: membership predicates such as
    /// `is_member(org_id, user_id)` that policies call, which answer one yes/no. Functions
    /// without arguments are skipped too (cleanups and recomputations on a fixed set of rows:
    /// the caller chooses nothing); `security-definer-executable` still reports them.
    ///
    /// ## Why is this bad?
    /// The function runs as its owner, past RLS. Without a check of the caller, every user
    /// reaches every row it touches: `/rest/v1/rpc/add_member` adds anyone to any team.
    ///
    /// ## Example
    /// ```sql
    /// create table public.team_members (team_id uuid, user_id uuid);
    /// create function public.add_member(p_team uuid, p_user uuid) returns void
    /// language sql security definer set search_path = ''
    /// as $$ insert into public.team_members (team_id, user_id) values (p_team, p_user) $$;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table public.team_members (team_id uuid, user_id uuid);
    /// create function public.add_member(p_team uuid, p_user uuid) returns void
    /// language sql security definer set search_path = ''
    /// as $$ insert into public.team_members (team_id, user_id)
    ///       select p_team, p_user
    ///        where exists (select 1 from public.team_members m
    ///                      where m.team_id = p_team and m.user_id = auth.uid()) $$;
    /// ```
    pub RULE, "security-definer-without-caller-check", Severity::Warning, Scope::Both, "callable SECURITY DEFINER function that writes or reads user rows without checking the caller"
}

/// Tables whose rows RLS hands out per user: RLS on and a policy that looks at the caller.
fn per_user_tables(model: &Model) -> std::collections::BTreeSet<&QualifiedName> {
    model
        .policies
        .iter()
        .filter(|p| {
            p.expressions()
                .any(|(_, e)| crate::lint::body::checks_caller(e))
        })
        .map(|p| &p.table)
        .filter(|t| model.relations.get(*t).is_some_and(|r| r.rls_enabled))
        .collect()
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let checks = ctx.model.caller_checks();
    let per_user = per_user_tables(ctx.model);
    for (i, f) in ctx.model.functions.iter().enumerate() {
        if !f.security_definer || f.returns_trigger || !ctx.is_exposed(&f.name.schema) {
            continue;
        }
        let callers = f.api_callers();
        if callers.is_empty() || f.arity == 0 || checks.gated[i] {
            continue;
        }
        let name = |p: &Vec<String>| QualifiedName::from_parts(p);
        let mut writes: Vec<QualifiedName> =
            written_tables(&f.body).iter().filter_map(name).collect();
        writes.dedup();
        let reads: Vec<QualifiedName> = referenced_relations(&f.body)
            .iter()
            .filter_map(name)
            .filter(|t| {
                per_user.contains(t) || ["auth", "vault", "pgsodium"].contains(&t.schema.as_str())
            })
            .collect();
        let what = if !writes.is_empty() {
            format!("writes {}", list(&writes))
        } else if !reads.is_empty() && !f.returns_boolean {
            format!("reads {} past RLS", list(&reads))
        } else {
            continue;
        };
        let anon = callers.iter().any(|c| *c == "anon" || *c == "public");
        let mut d = ctx.diagnostic(
            &RULE,
            ctx.refine(f.site, |t| super::find_ci(t, "security definer")),
            f.signature(),
            format!(
                "SECURITY DEFINER function {} {what} for any caller ({} can call it) and never checks who is calling",
                f.signature(),
                callers.join(", ")
            ),
            "check the caller in the body (`auth.uid()`, a membership helper) before touching rows, or make it SECURITY INVOKER so RLS applies",
        );
        if anon && !writes.is_empty() {
            d.severity = Severity::Error;
        }
        out.push(d);
    }
}

fn list(names: &[QualifiedName]) -> String {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names.dedup();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::{findings, lint};
    use crate::lint::Severity;

    const MEMBERS: &str = "create table public.team_members (team_id uuid, user_id uuid);\n";

    #[test]
    fn a_definer_function_writing_without_a_check() {
        let sql = format!("{MEMBERS}create function public.add_member(t uuid, u uuid) returns void language sql\nsecurity definer set search_path = '' as $$ insert into public.team_members values (t, u) $$;");
        assert_eq!(
            findings("security-definer-without-caller-check", &[&sql]),
            ["001.sql:3:1: SECURITY DEFINER function public.add_member(uuid, uuid) writes public.team_members for any caller (anon, authenticated, public can call it) and never checks who is calling"]
        );
        let d = lint(&[&sql]);
        let d = d
            .iter()
            .find(|d| d.rule == "security-definer-without-caller-check")
            .unwrap();
        assert_eq!(d.severity, Severity::Error);
    }

    #[test]
    fn a_check_of_an_id_the_caller_passes_is_no_check() {
        let sql = format!("{MEMBERS}create function public.leave_team(p_team uuid, p_user uuid) returns void language plpgsql security definer set search_path = '' as $$ begin if not exists (select 1 from public.team_members where team_id = p_team and user_id = p_user) then raise exception 'not a member'; end if; delete from public.team_members where team_id = p_team and user_id = p_user; end $$;");
        assert_eq!(
            findings("security-definer-without-caller-check", &[&sql]).len(),
            1
        );
    }

    #[test]
    fn membership_checks_and_helpers_pass() {
        let helper = "create function public.is_member(t uuid) returns boolean language sql security definer set search_path = '' as $$ select exists (select 1 from public.team_members where team_id = t and user_id = auth.uid()) $$;\n";
        let via_helper = format!("{MEMBERS}{helper}create function public.add_member(t uuid, u uuid) returns void language plpgsql security definer set search_path = '' as $$ begin if not public.is_member(t) then raise exception 'no'; end if; insert into public.team_members values (t, u); end $$;");
        assert!(findings("security-definer-without-caller-check", &[&via_helper]).is_empty());
        let trigger = format!("{MEMBERS}create function public.on_signup() returns trigger language plpgsql security definer set search_path = '' as $$ begin insert into public.team_members values (null, new.id); return new; end $$;");
        assert!(findings("security-definer-without-caller-check", &[&trigger]).is_empty());
        let inline = format!("{MEMBERS}create function public.add_member(t uuid, u uuid) returns void language plpgsql security definer set search_path = '' as $$ begin if not exists (select 1 from public.team_members m where m.team_id = t and m.user_id = (select auth.uid())) then raise exception 'not a member'; end if; insert into public.team_members values (t, u); end $$;");
        assert!(findings("security-definer-without-caller-check", &[&inline]).is_empty());
        let revoked = format!("{MEMBERS}create function public.add_member(t uuid, u uuid) returns void language sql security definer set search_path = '' as $$ insert into public.team_members values (t, u) $$;\nrevoke execute on function public.add_member(uuid, uuid) from public, anon, authenticated;");
        assert!(findings("security-definer-without-caller-check", &[&revoked]).is_empty());
    }
}
