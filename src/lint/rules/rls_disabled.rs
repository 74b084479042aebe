use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags tables in a schema the API exposes (`public` and `[api] schemas`) that end the
    /// migrations without row level security, including tables where RLS was enabled and later
    /// disabled, or enabled on a table that was then dropped and re-created.
    ///
    /// ## Why is this bad?
    /// Supabase grants anon and authenticated full access to new tables in `public`. Without RLS,
    /// those grants are the only barrier: anyone holding the public anon key can read and write
    /// every row through the HTTP API.
    ///
    /// ## Example
    /// ```sql
    /// create table public.profiles (id uuid primary key, bio text);
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table public.profiles (id uuid primary key, bio text);
    /// alter table public.profiles enable row level security;
    /// create policy "own profile" on public.profiles for select to authenticated
    ///   using ((select auth.uid()) = id);
    /// ```
    pub RULE, "rls-disabled", Severity::Error, Scope::Both, "table in an exposed schema without row level security"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in ctx.model.relations.values() {
        if !r.kind.has_rls()
            || r.rls_enabled
            || !ctx.is_exposed(&r.name.schema)
            || !r.api_reachable()
        {
            continue;
        }
        let roles: Vec<&str> = ["anon", "authenticated", "public"]
            .into_iter()
            .filter(|role| r.privileges.get(*role).is_some_and(|p| !p.is_empty()))
            .collect();
        let who = if roles.is_empty() {
            "API roles".to_string()
        } else {
            roles.join(", ")
        };
        let (site, message) = if let Some(disabled) = r.rls_disabled_at {
            (
                ctx.head(Some(disabled)),
                format!("row level security is disabled on {} {} here; {who} can read and write every row", r.kind.noun(), r.name),
            )
        } else if r.rls_enabled_on_dropped.is_some() {
            (
                ctx.head(r.created),
                format!("{} {} is re-created here without row level security; the earlier ENABLE applied to the dropped table", r.kind.noun(), r.name),
            )
        } else {
            (
                ctx.head(r.created.or(r.last_altered)),
                format!("{} {} in exposed schema `{}` never gets row level security; {who} can read and write every row", r.kind.noun(), r.name, r.name.schema),
            )
        };
        out.push(ctx.diagnostic(
            &RULE,
            site,
            r.name.to_string(),
            message,
            format!("add `alter table {} enable row level security;` and policies for the access you intend", r.name),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn table_without_rls_is_flagged_at_its_create() {
        assert_eq!(
            findings("rls-disabled", &["\ncreate table profiles (id uuid);"]),
            ["001.sql:2:1: table public.profiles in exposed schema `public` never gets row level security; anon, authenticated can read and write every row"]
        );
    }

    #[test]
    fn rls_enabled_in_a_later_file_with_any_spelling_of_the_name() {
        let files = [
            "create table public.\"Notes\" (id int); create table items (id int);",
            "alter table \"Notes\" enable row level security;",
            "ALTER TABLE ONLY PUBLIC.Items ENABLE ROW LEVEL SECURITY;",
        ];
        assert!(findings("rls-disabled", &files).is_empty());
    }

    #[test]
    fn disable_in_a_later_file_is_caught_where_it_happens() {
        let files = [
            "create table t (id int);\nalter table t enable row level security;",
            "-- oops\nalter table public.t disable row level security;",
        ];
        assert_eq!(
            findings("rls-disabled", &files),
            ["002.sql:2:1: row level security is disabled on table public.t here; anon, authenticated can read and write every row"]
        );
    }

    #[test]
    fn enable_before_drop_and_recreate_does_not_protect_the_new_table() {
        let files = [
            "create table t (id int);\nalter table t enable row level security;",
            "drop table t;\ncreate table t (id int, x text);",
        ];
        let found = findings("rls-disabled", &files);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("002.sql:2:1: table public.t is re-created here"),
            "{found:?}"
        );
    }

    #[test]
    fn private_schemas_and_revoked_tables_are_not_exposed() {
        let files = ["create schema private; create table private.secrets (v text);\ncreate table public.internal (v text);\nrevoke all on table public.internal from anon, authenticated;"];
        assert!(findings("rls-disabled", &files).is_empty());
    }
}
