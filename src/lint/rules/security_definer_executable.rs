use super::Context;
use crate::lint::diagnostic::Diagnostic;
use crate::lint::expr::runs_dynamic_sql;
use crate::lint::registry::{declare_rule, Scope};
use crate::lint::Severity;

declare_rule! {
    /// ## What it does
    /// Flags SECURITY DEFINER functions in exposed schemas that anon or authenticated (or
    /// PUBLIC) may execute. It is an error when the function runs dynamic SQL (`EXECUTE`), like
    /// an `exec_sql(sql text)` helper.
    ///
    /// ## Why is this bad?
    /// A SECURITY DEFINER function runs with its owner's rights, usually `postgres`, which
    /// bypasses RLS. Every function in an exposed schema is callable through `/rest/v1/rpc/`,
    /// and Postgres grants EXECUTE to PUBLIC by default. A definer function that executes a
    /// string it was given hands the database to anyone with the anon key.
    ///
    /// ## Example
    /// ```sql
    /// create function exec_sql(sql text) returns void language plpgsql security definer
    /// as $$ begin execute sql; end $$;
    /// ```
    ///
    /// Use instead:
    /// ```sql
    /// create function private.exec_sql(sql text) returns void language plpgsql security definer
    /// set search_path = ''
    /// as $$ begin execute sql; end $$;
    /// revoke execute on function private.exec_sql(text) from public, anon, authenticated;
    /// ```
    pub RULE, "security-definer-executable", Severity::Warning, Scope::Both, "SECURITY DEFINER function callable by anon or authenticated"
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for f in &ctx.model.functions {
        if !f.security_definer || f.returns_trigger || !ctx.is_exposed(&f.name.schema) {
            continue;
        }
        let callers = f.api_callers();
        if callers.is_empty() {
            continue;
        }
        let dynamic = runs_dynamic_sql(&f.language, &f.body);
        let who = callers.join(", ");
        let mut d = ctx.diagnostic(
            &RULE,
            ctx.refine(f.site, |t| super::find_ci(t, "security definer")),
            f.signature(),
            if dynamic {
                format!("SECURITY DEFINER function {} runs dynamic SQL and {who} can execute it: any caller runs arbitrary SQL as the function's owner", f.signature())
            } else {
                format!("SECURITY DEFINER function {} bypasses RLS and {who} can execute it through the API", f.signature())
            },
            format!(
                "move it to a schema the API does not expose, or `revoke execute on function {} from public, anon, authenticated;`{}",
                f.signature(),
                if dynamic { " and never EXECUTE caller-supplied SQL" } else { "" }
            ),
        );
        if dynamic {
            d.severity = Severity::Error;
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::{findings, lint};
    use crate::lint::Severity;

    const EXEC_SQL: &str = "CREATE OR REPLACE FUNCTION exec_sql(sql text)\nRETURNS void\nLANGUAGE plpgsql\nSECURITY DEFINER\nAS $$\nBEGIN\n  EXECUTE sql;\nEND;\n$$;";

    #[test]
    fn exec_sql_helper_is_an_error() {
        let d: Vec<_> = lint(&[EXEC_SQL])
            .into_iter()
            .filter(|d| d.rule == "security-definer-executable")
            .collect();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].severity, Severity::Error);
        let l = d[0].location.as_ref().unwrap();
        assert_eq!((l.line, l.column), (4, 1));
        assert!(d[0].message.contains("public.exec_sql(text) runs dynamic SQL and anon, authenticated, public can execute it"), "{}", d[0].message);
    }

    #[test]
    fn revoking_from_every_api_role_silences_it() {
        let partial = format!("{EXEC_SQL}\nrevoke execute on function exec_sql(text) from public;");
        assert_eq!(
            findings("security-definer-executable", &[&partial]).len(),
            1,
            "anon still has EXECUTE through Supabase's default privileges"
        );
        let full = format!(
            "{EXEC_SQL}\nrevoke execute on function exec_sql from public, anon, authenticated;"
        );
        assert!(findings("security-definer-executable", &[&full]).is_empty());
    }

    #[test]
    fn trigger_functions_and_invoker_functions_pass() {
        let sql = "create function t() returns trigger language plpgsql security definer as $$ begin return new; end $$;\ncreate function i() returns int language sql as $$ select 1 $$;";
        assert!(findings("security-definer-executable", &[sql]).is_empty());
    }
}
