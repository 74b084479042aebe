use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::RelKind;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags views in exposed schemas, reachable by anon or authenticated, that read tables
    /// with row level security but lack `security_invoker = true`.
    ///
    /// ## Why is this bad?
    /// A plain view runs with its owner's rights. Owned by `postgres`, it bypasses the RLS of
    /// every table it reads, so the view hands out the rows the policies hide.
    ///
    /// ## Example
    /// ```sql
    /// create table public.orders (id int, owner uuid);
    /// alter table public.orders enable row level security;
    /// create view public.recent_orders as select * from public.orders;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create table public.orders (id int, owner uuid);
    /// alter table public.orders enable row level security;
    /// create view public.recent_orders with (security_invoker = true) as
    ///   select * from public.orders;
    /// ```
    pub RULE, "view-security-definer", Severity::Error, Scope::Both, "view bypasses the RLS of the tables it reads"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for v in ctx.model.relations.values() {
        if v.kind != RelKind::View
            || v.security_invoker
            || !ctx.is_exposed(&v.name.schema)
            || !v.api_reachable()
        {
            continue;
        }
        let protected: Vec<String> = v
            .references
            .iter()
            .filter(|n| {
                ctx.model
                    .relations
                    .get(*n)
                    .is_some_and(|r| r.kind.has_rls() && r.rls_enabled)
            })
            .map(ToString::to_string)
            .collect();
        if protected.is_empty() {
            continue;
        }
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(v.created),
            v.name.to_string(),
            format!("view {} runs with its owner's rights and bypasses row level security on {}", v.name, protected.join(", ")),
            format!("create it `with (security_invoker = true)`, or `alter view {} set (security_invoker = true);`", v.name),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    const TABLE: &str =
        "create table orders (id int);\nalter table orders enable row level security;\n";

    #[test]
    fn plain_view_over_rls_table() {
        let bad = format!("{TABLE}create view recent as select * from orders;");
        assert_eq!(findings("view-security-definer", &[&bad]), ["001.sql:3:1: view public.recent runs with its owner's rights and bypasses row level security on public.orders"]);
        let good = format!(
            "{TABLE}create view recent with (security_invoker = true) as select * from orders;"
        );
        assert!(findings("view-security-definer", &[&good]).is_empty());
        let altered = format!("{bad}\nalter view public.recent set (security_invoker = on);");
        assert!(findings("view-security-definer", &[&altered]).is_empty());
        let reset = format!("{good}\nalter view recent reset (security_invoker);");
        assert_eq!(findings("view-security-definer", &[&reset]).len(), 1);
    }
}
