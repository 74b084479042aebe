use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::{Revoke, RevokeTarget, API_ROLES};
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags REVOKE statements that leave the API roles their access:
    /// - `revoke execute on function f from anon` while PUBLIC still holds EXECUTE (Postgres
    ///   grants it to PUBLIC on every new function), so anon still calls `f`;
    /// - `revoke execute on function f from public` while anon or authenticated keep the EXECUTE
    ///   Supabase's default privileges gave them;
    /// - the same for table privileges;
    /// - `alter default privileges in schema s revoke ... from public`: PUBLIC's EXECUTE on new
    ///   functions comes from the global defaults, and per-schema defaults can only add to
    ///   those, so the statement changes nothing.
    ///
    /// The catalog lint checks each REVOKE of the migrations against the function's or table's
    /// privileges in the migrated database.
    ///
    /// ## Why is this bad?
    /// The author believes the function or table is closed to the API; it is not.
    ///
    /// ## Example
    /// ```sql
    /// create function public.reset_scores() returns void language sql set search_path = ''
    /// as $$ delete from public.scores $$;
    /// revoke execute on function public.reset_scores() from anon, authenticated;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create function public.reset_scores() returns void language sql set search_path = ''
    /// as $$ delete from public.scores $$;
    /// revoke execute on function public.reset_scores() from public, anon, authenticated;
    /// ```
    pub RULE, "revoke-without-effect", Severity::Warning, Scope::Both, "REVOKE that leaves anon or authenticated their access"
}

/// The API roles `r` meant to close: those it names; for a REVOKE from PUBLIC followed by a
/// GRANT to some API roles, the other API roles. Roles granted again later are left out.
fn meant_closed(r: &Revoke) -> Vec<&'static str> {
    let named_public = r.roles.iter().any(|x| x == "public");
    let regranted_api = r.regranted.iter().any(|x| API_ROLES.contains(&x.as_str()));
    API_ROLES
        .into_iter()
        .filter(|role| r.roles.iter().any(|x| x == role) || (named_public && regranted_api))
        .filter(|role| !r.regranted.iter().any(|x| x == role || x == "public"))
        .collect()
}

/// The API roles that still hold what `r` revoked, and why.
fn still_held(ctx: &Context<'_>, r: &Revoke) -> Option<(Vec<String>, &'static str, String)> {
    let named_public = r.roles.iter().any(|x| x == "public");
    let meant = meant_closed(r);
    let (holders, via_public, object): (Vec<String>, bool, String) = match &r.target {
        RevokeTarget::Function(name, arity) => {
            let f = ctx
                .model
                .function(name)
                .find(|f| arity.is_none_or(|a| a == f.arity))?;
            let via_public = f.executable_by.contains("public");
            let holders = meant
                .iter()
                .filter(|role| f.executable_by.contains(**role) || via_public)
                .map(|s| s.to_string())
                .collect();
            (holders, via_public, f.signature())
        }
        RevokeTarget::Table(name) => {
            let t = ctx.model.relations.get(name)?;
            let holds = |role: &str| {
                t.privileges
                    .get(role)
                    .is_some_and(|p| p.iter().any(|x| r.privileges.contains(x)))
            };
            let via_public = holds("public");
            let holders = meant
                .iter()
                .filter(|role| holds(role) || via_public)
                .map(|s| s.to_string())
                .collect();
            (holders, via_public, name.to_string())
        }
    };
    if holders.is_empty() {
        return None;
    }
    let why = match (&r.target, via_public && !named_public) {
        (RevokeTarget::Function(..), true) => "PUBLIC still holds EXECUTE (every new function grants it), and every role is a member of PUBLIC",
        (RevokeTarget::Table(_), true) => "PUBLIC still holds it, and every role is a member of PUBLIC",
        (RevokeTarget::Function(..), false) => "the REVOKE names PUBLIC only, and they keep the EXECUTE that Supabase's default privileges grant them on every function in `public`",
        (RevokeTarget::Table(_), false) => "the REVOKE names PUBLIC only, and they keep the grant that Supabase's default privileges give them on every table in `public`",
    };
    Some((holders, why, object))
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.files.revokes {
        let Some((holders, why, object)) = still_held(ctx, r) else {
            continue;
        };
        let (keyword, target) = match &r.target {
            RevokeTarget::Function(..) => ("execute", format!("function {object}")),
            RevokeTarget::Table(_) => ("all", format!("table {object}")),
        };
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(Some(r.site)),
            object.clone(),
            format!(
                "this REVOKE leaves {} able to reach {target}: {why}",
                holders.join(" and ")
            ),
            format!("revoke from PUBLIC and the API roles together: `revoke {keyword} on {target} from public, anon, authenticated;`"),
        ));
    }
    for d in &ctx.files.ineffective_default_revokes {
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(Some(d.site)),
            format!("default privileges in schema {}", d.schema),
            format!(
                "`alter default privileges in schema {} revoke ... on {} from {}` changes nothing: the privileges they get on new {} come from the global default privileges, and per-schema defaults can only add to those",
                d.schema,
                d.objects,
                d.roles.join(", "),
                d.objects
            ),
            format!(
                "drop `in schema {}`: `alter default privileges revoke execute on functions from public;` (then grant EXECUTE to the roles that need it)",
                d.schema
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    const F: &str = "create function public.f() returns int language sql set search_path = '' as $$ select 1 $$;\n";

    #[test]
    fn revokes_that_leave_access() {
        let from_anon = format!("{F}revoke execute on function public.f() from anon;");
        assert_eq!(
            findings("revoke-without-effect", &[&from_anon]),
            ["001.sql:2:1: this REVOKE leaves anon able to reach function public.f(): PUBLIC still holds EXECUTE (every new function grants it), and every role is a member of PUBLIC"]
        );
        let from_public = format!("{F}revoke all on function public.f() from public;\ngrant execute on function public.f() to authenticated;");
        assert_eq!(
            findings("revoke-without-effect", &[&from_public]),
            ["001.sql:2:1: this REVOKE leaves anon able to reach function public.f(): the REVOKE names PUBLIC only, and they keep the EXECUTE that Supabase's default privileges grant them on every function in `public`"]
        );
        let intended = format!("{F}revoke all on function public.f() from public;");
        assert!(
            findings("revoke-without-effect", &[&intended]).is_empty(),
            "without a later grant, which API roles were meant to lose it is unclear"
        );
        let dropped = format!("{F}revoke execute on function public.f() from anon;\ndrop function public.f();\n{F}revoke execute on function public.f() from public, anon;");
        assert!(findings("revoke-without-effect", &[&dropped]).is_empty());
        let schema =
            "alter default privileges in schema public revoke execute on functions from public;";
        assert_eq!(findings("revoke-without-effect", &[schema]).len(), 1);
    }

    #[test]
    fn revoking_from_public_and_the_api_roles_works() {
        let both =
            format!("{F}revoke execute on function public.f() from public, anon, authenticated;");
        assert!(findings("revoke-without-effect", &[&both]).is_empty());
        let global = "alter default privileges revoke execute on functions from public;\nalter default privileges in schema public revoke execute on functions from anon, authenticated;";
        assert!(findings("revoke-without-effect", &[global]).is_empty());
        let public_and_anon = format!("{F}revoke execute on function public.f() from public, anon;\ngrant execute on function public.f() to authenticated;");
        assert!(findings("revoke-without-effect", &[&public_and_anon]).is_empty());
        let regranted = format!("{F}revoke execute on function public.f() from anon;\ngrant execute on function public.f() to anon;");
        assert!(findings("revoke-without-effect", &[&regranted]).is_empty());
    }
}
