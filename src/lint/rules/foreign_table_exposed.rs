use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::model::RelKind;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags foreign tables in exposed schemas that anon or authenticated can select from.
    ///
    /// ## Why is this bad?
    /// Foreign tables have no row level security. In an exposed schema with the default grants, every row of the remote table is served to anon and authenticated.
    ///
    /// ## Example
    /// ```sql
    /// create foreign table public.remote_orders (id int) server billing;
    /// ```
    ///
    /// Use instead (move it out of the API, or revoke access):
    /// ```sql
    /// create foreign table private.remote_orders (id int) server billing;
    /// ```
    pub RULE, "foreign-table-exposed", Severity::Warning, Scope::Both, "foreign table readable through the API (no RLS possible)"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    super::flag_readable_without_rls(ctx, out, &RULE, RelKind::ForeignTable, "foreign table");
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn foreign_table_in_public() {
        let bad = "create foreign table public.remote (id int) server s;";
        assert_eq!(findings("foreign-table-exposed", &[bad]).len(), 1);
        assert!(findings(
            "foreign-table-exposed",
            &["create foreign table private.remote (id int) server s;"]
        )
        .is_empty());
    }
}
