use std::collections::BTreeMap;

use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::Site;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags tables in exposed schemas on which anon, authenticated or PUBLIC hold TRUNCATE:
    /// granted explicitly or through `GRANT ALL` (each statement), or, on the migrated
    /// catalog, through default privileges (one finding per schema).
    ///
    /// ## Why is this bad?
    /// TRUNCATE is not governed by row level security: a role holding it can empty the table
    /// regardless of every policy. The API roles never need it.
    ///
    /// ## Example
    /// ```sql
    /// create table public.orders (id int);
    /// grant all on table public.orders to authenticated;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table public.orders (id int);
    /// grant select, insert, update, delete on table public.orders to authenticated;
    /// ```
    pub RULE, "grant-truncate-to-api-role", Severity::Warning, Scope::Both, "TRUNCATE granted to anon or authenticated"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut by_default: BTreeMap<(&str, Vec<&str>), Vec<String>> = BTreeMap::new();
    for r in ctx.model.relations.values() {
        if !ctx.is_exposed(&r.name.schema) {
            continue;
        }
        let granted: Vec<(&str, Option<Site>)> = r
            .truncate_granted_at
            .iter()
            .filter(|(role, _)| matches!(role.as_str(), "anon" | "authenticated" | "public"))
            .map(|(role, site)| (role.as_str(), *site))
            .collect();
        let roles: Vec<&str> = granted.iter().map(|g| g.0).collect();
        match granted.iter().find_map(|g| g.1) {
            Some(site) => out.push(ctx.diagnostic(
                &RULE,
                ctx.head(Some(site)),
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
            )),
            None if !roles.is_empty() => by_default
                .entry((r.name.schema.as_str(), roles))
                .or_default()
                .push(r.name.name.clone()),
            None => {}
        }
    }
    for ((schema, roles), tables) in by_default {
        let roles = roles.join(", ");
        out.push(ctx.diagnostic(
            &RULE,
            None,
            format!("schema {schema}"),
            format!(
                "{roles} can TRUNCATE {} table{} in schema {schema} through default privileges ({}), which row level security does not restrict",
                tables.len(),
                if tables.len() == 1 { "" } else { "s" },
                tables.join(", ")
            ),
            format!("`revoke truncate on all tables in schema {schema} from {roles};` and `alter default privileges in schema {schema} revoke truncate on tables from {roles};`"),
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
