use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::registry::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags tables in exposed schemas on which anon, authenticated or PUBLIC hold TRUNCATE
    /// (granted explicitly, or through `GRANT ALL`).
    ///
    /// ## Why is this bad?
    /// TRUNCATE is not governed by row level security: a role holding it can empty the table
    /// regardless of every policy. The API roles never need it.
    ///
    /// ## Example
    /// ```sql
    /// grant all on table public.orders to authenticated;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// grant select, insert, update, delete on table public.orders to authenticated;
    /// ```
    pub RULE, "grant-truncate-to-api-role", Severity::Warning, Scope::Both, "TRUNCATE granted to anon or authenticated"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in ctx.model.relations.values() {
        if !ctx.is_exposed(&r.name.schema) {
            continue;
        }
        let granted: Vec<(&str, _)> = r
            .truncate_granted_at
            .iter()
            .filter(|(role, _)| matches!(role.as_str(), "anon" | "authenticated" | "public"))
            .map(|(role, site)| (role.as_str(), *site))
            .collect();
        let Some((_, site)) = granted.first() else {
            continue;
        };
        let roles: Vec<&str> = granted.iter().map(|g| g.0).collect();
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(site.or(r.last_altered)),
            r.name.to_string(),
            format!(
                "{} can TRUNCATE {}, which row level security does not restrict",
                roles.join(", "),
                r.name
            ),
            format!(
                "grant only the privileges the API needs, and `revoke truncate on {} from {};`",
                r.name,
                roles.join(", ")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn grant_all_includes_truncate() {
        let sql = "create table orders (id int);\ngrant all on table orders to authenticated;";
        assert_eq!(findings("grant-truncate-to-api-role", &[sql]), ["001.sql:2:1: authenticated can TRUNCATE public.orders, which row level security does not restrict"]);
        let good = format!("{sql}\nrevoke truncate on orders from authenticated;");
        assert!(findings("grant-truncate-to-api-role", &[&good]).is_empty());
    }
}
