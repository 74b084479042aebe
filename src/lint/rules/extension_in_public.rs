use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags extensions installed into the `public` schema (explicitly, or by omitting
    /// `WITH SCHEMA`).
    ///
    /// ## Why is this bad?
    /// An extension's functions, types and tables land in the schema the API exposes: they
    /// become callable or readable by anon and authenticated, and clutter the API.
    ///
    /// ## Example
    /// ```sql
    /// create extension pg_trgm;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create extension pg_trgm with schema extensions;
    /// ```
    pub RULE, "extension-in-public", Severity::Warning, Scope::Both, "extension installed in the public schema"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for e in &ctx.model.extensions {
        if e.schema != "public" || e.name == "plpgsql" {
            continue;
        }
        out.push(ctx.diagnostic(
            &RULE,
            ctx.head(e.site),
            format!("extension {}", e.name),
            format!("extension {} is installed in schema public, which the API exposes", e.name),
            format!("install it `with schema extensions` (or `alter extension {} set schema extensions;`)", e.name),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::findings;

    #[test]
    fn extension_without_schema_goes_to_public() {
        assert_eq!(findings("extension-in-public", &["create extension if not exists pg_trgm;"]), ["001.sql:1:1: extension pg_trgm is installed in schema public, which the API exposes"]);
        assert!(findings(
            "extension-in-public",
            &["create extension pg_trgm with schema extensions;"]
        )
        .is_empty());
    }
}
