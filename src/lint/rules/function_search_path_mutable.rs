use super::{Context, SYSTEM_SCHEMAS};
use crate::lint::diagnostic::Diagnostic;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags functions that do not pin `search_path` with a `SET search_path` clause.
    ///
    /// ## Why is this bad?
    /// Unqualified names in the body resolve through the caller's search_path. A caller who can
    /// create objects in a schema on that path can shadow a table or function the body uses;
    /// in a SECURITY DEFINER function the shadowing code runs with the owner's rights.
    ///
    /// ## Example
    /// ```sql
    /// create function is_admin() returns boolean language sql security definer
    /// as $$ select exists (select 1 from admins where id = auth.uid()) $$;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create function is_admin() returns boolean language sql security definer
    /// set search_path = ''
    /// as $$ select exists (select 1 from public.admins where id = auth.uid()) $$;
    /// ```
    pub RULE, "function-search-path-mutable", Severity::Warning, Scope::Both, "function without a fixed search_path"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for f in &ctx.model.functions {
        if f.search_path_set || SYSTEM_SCHEMAS.contains(&f.name.schema.as_str()) {
            continue;
        }
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(f.site),
            f.signature(),
            format!("function {} has a role-mutable search_path", f.signature()),
            "add `set search_path = ''` and schema-qualify the names in the body",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn search_path_set_at_create_or_later() {
        let bad = "create function f() returns int language sql as $$ select 1 $$;";
        assert_eq!(
            findings("function-search-path-mutable", &[bad]),
            ["001.sql:1:1: function public.f() has a role-mutable search_path"]
        );
        assert!(findings("function-search-path-mutable", &["create function f() returns int language sql set search_path = '' as $$ select 1 $$;"]).is_empty());
        assert!(findings(
            "function-search-path-mutable",
            &[bad, "alter function public.f() set search_path = public;"]
        )
        .is_empty());
    }
}
