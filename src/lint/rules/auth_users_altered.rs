use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE` on tables Supabase manages: `auth.users` and the rest of the `auth`
    /// and `storage` schemas.
    ///
    /// ## Why is this bad?
    /// `auth.users` belongs to Supabase Auth (owner `supabase_auth_admin`). On hosted Supabase
    /// the migration fails with `must be owner of table users`; where it does apply, Auth's own
    /// migrations can break or undo the change. Keep your columns in a table of your own.
    ///
    /// ## Example
    /// ```sql
    /// alter table auth.users add column plan text;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table public.profiles (
    ///   id uuid primary key references auth.users on delete cascade,
    ///   plan text
    /// );
    /// alter table public.profiles enable row level security;
    /// ```
    pub RULE, "auth-users-altered", Severity::Error, Scope::Static, "ALTER TABLE on a table managed by Supabase"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for a in &ctx.model.managed_alterations {
        let owner = if a.table.schema == "auth" {
            "Supabase Auth (owner supabase_auth_admin)"
        } else {
            "Supabase Storage (owner supabase_storage_admin)"
        };
        out.push(ctx.diagnostic(
            &RULE,
            Some(a.site),
            a.table.to_string(),
            format!("{} is managed by {owner}; `ALTER TABLE {} {}` fails on hosted Supabase with \"must be owner of table {}\"", a.table, a.table, a.action, a.table.name),
            format!("keep extra columns in a table of your own, e.g. `public.profiles (id uuid primary key references {} on delete cascade, ...)`", a.table),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn add_column_to_auth_users() {
        assert_eq!(
            findings("auth-users-altered", &["\nALTER TABLE auth.users ADD COLUMN IF NOT EXISTS plan text;"]),
            ["001.sql:2:13: auth.users is managed by Supabase Auth (owner supabase_auth_admin); `ALTER TABLE auth.users ADD COLUMN IF` fails on hosted Supabase with \"must be owner of table users\""]
        );
        assert!(findings(
            "auth-users-altered",
            &["alter table public.users add column plan text;"]
        )
        .is_empty());
    }
}
