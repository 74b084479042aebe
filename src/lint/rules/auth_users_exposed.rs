use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::RelKind;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;
use crate::sql::names::QualifiedName;

declare_rule! {
    /// ## What it does
    /// Flags views and materialized views in exposed schemas that read `auth.users` and that
    /// anon or authenticated can select from.
    ///
    /// ## Why is this bad?
    /// `auth.users` holds every user's email, phone and metadata. A view over it in `public`
    /// runs as its owner, so the API serves those columns to anyone the view is granted to.
    ///
    /// ## Example
    /// ```sql
    /// create view public.users as select id, email from auth.users;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table public.profiles (id uuid primary key references auth.users, display_name text);
    /// alter table public.profiles enable row level security;
    /// ```
    pub RULE, "auth-users-exposed", Severity::Error, Scope::Both, "auth.users exposed through a view"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let users = QualifiedName::new("auth", "users");
    for v in ctx.model.relations.values() {
        let is_view = matches!(v.kind, RelKind::View | RelKind::MaterializedView);
        if !is_view || !ctx.is_exposed(&v.name.schema) || !v.references.contains(&users) {
            continue;
        }
        let readers = v.api_roles_with(crate::lint::model::Privilege::Select);
        if readers.is_empty() {
            continue;
        }
        out.push(ctx.diagnostic(
            &RULE,
            ctx.refine(v.created, |t| super::find_ci(t, "auth.users")),
            v.name.to_string(),
            format!("{} {} exposes auth.users to {}", v.kind.noun(), v.name, readers.join(", ")),
            "keep user data in a public table with RLS (e.g. `profiles`), or revoke select on the view from anon and authenticated",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn view_over_auth_users() {
        assert_eq!(
            findings(
                "auth-users-exposed",
                &["create view public.users as select id, email from auth.users;"]
            ),
            ["001.sql:1:51: view public.users exposes auth.users to anon, authenticated"]
        );
        assert!(findings("auth-users-exposed", &["create view public.users as select id from auth.users;\nrevoke select on public.users from anon, authenticated;"]).is_empty());
    }
}
