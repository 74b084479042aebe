use super::Context;
use crate::lint::body::{dynamic_sql, written_tables, DynamicSql};
use crate::lint::diagnostic::Diagnostic;
use crate::lint::rule::{declare_rule, Scope};
use crate::lint::tokens::referenced_relations;
use crate::lint::Severity;
use crate::sql::names::QualifiedName;

declare_rule! {
    /// ## What it does
    /// Flags SECURITY DEFINER functions in exposed schemas that anon or authenticated (or
    /// PUBLIC) may execute. It is an error when caller-controlled text reaches `EXECUTE`
    /// unquoted (a parameter EXECUTEd as is, `||`, `format('%s')`), like an
    /// `exec_sql(sql text)` helper, and when anon can call it and it reads a schema the API
    /// does not expose (`vault.decrypted_secrets`, `auth.users`, a private schema) without
    /// checking the caller. Dynamic SQL that quotes identifiers (`%I`) and binds values
    /// (`USING`) is the privilege problem, a warning, not injection.
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

/// Relations of schemas the API does not expose that the body reads or writes.
fn hidden_relations(ctx: &Context<'_>, body: &str) -> Vec<String> {
    let mut names: Vec<String> = referenced_relations(body)
        .into_iter()
        .chain(written_tables(body))
        .filter_map(|p| QualifiedName::from_parts(&p))
        .filter(|n| p_is_hidden(ctx, n))
        .map(|n| n.to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn p_is_hidden(ctx: &Context<'_>, n: &QualifiedName) -> bool {
    !ctx.is_exposed(&n.schema)
        && !["pg_catalog", "information_schema", "extensions"].contains(&n.schema.as_str())
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let checks = ctx.model.caller_checks();
    for (i, f) in ctx.model.functions.iter().enumerate() {
        if !f.security_definer || f.returns_trigger || !ctx.is_exposed(&f.name.schema) {
            continue;
        }
        let callers = f.api_callers();
        if callers.is_empty() {
            continue;
        }
        let who = callers.join(", ");
        let anon = callers.iter().any(|c| *c == "anon" || *c == "public");
        let dynamic = dynamic_sql(&f.language, &f.body);
        let hidden = if anon && !checks.gated[i] {
            hidden_relations(ctx, &f.body)
        } else {
            Vec::new()
        };
        let sig = f.signature();
        let (message, error) = match dynamic {
            Some(DynamicSql::Injectable) if f.arity > 0 => (
                format!("SECURITY DEFINER function {sig} EXECUTEs text its caller controls, unquoted, and {who} can execute it: any caller runs arbitrary SQL as the function's owner"),
                true,
            ),
            _ if !hidden.is_empty() => (
                format!(
                    "SECURITY DEFINER function {sig} reads {} (a schema the API does not expose) and {who} can execute it without signing in: anyone with the public key reaches those rows",
                    hidden.join(", ")
                ),
                true,
            ),
            Some(_) => (
                format!("SECURITY DEFINER function {sig} runs dynamic SQL as its owner, past RLS, and {who} can execute it through the API (no caller text reaches its EXECUTE unquoted: no injection, but every caller runs it with the owner's rights)"),
                false,
            ),
            None => (
                format!("SECURITY DEFINER function {sig} bypasses RLS and {who} can execute it through the API"),
                false,
            ),
        };
        let mut d = ctx.diagnostic(
            &RULE,
            ctx.refine(f.site, |t| super::find_ci(t, "security definer")),
            sig.clone(),
            message,
            format!(
                "move it to a schema the API does not expose, or `revoke execute on function {sig} from public, anon, authenticated;`{}",
                if dynamic == Some(DynamicSql::Injectable) { " and never EXECUTE caller-supplied text: quote identifiers with format('%I') and bind values with USING" } else { "" }
            ),
        );
        if error {
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
        assert!(d[0].message.contains("public.exec_sql(text) EXECUTEs text its caller controls, unquoted, and anon, authenticated, public can execute it"), "{}", d[0].message);
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
    fn quoted_dynamic_sql_is_a_warning_and_secrets_for_anon_an_error() {
        let quoted = "create function public.count_rows(tbl text) returns bigint language plpgsql security definer set search_path = '' as $$ declare n bigint; begin execute format('select count(*) from public.%I', tbl) into n; return n; end $$;";
        let d = lint(&[quoted]);
        let d = d
            .iter()
            .find(|d| d.rule == "security-definer-executable")
            .unwrap();
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.message.contains("no injection"), "{}", d.message);
        let secrets = "create function public.get_secret(n text) returns text language sql security definer set search_path = '' as $$ select decrypted_secret from vault.decrypted_secrets where name = n $$;";
        let d = lint(&[secrets]);
        let d = d
            .iter()
            .find(|d| d.rule == "security-definer-executable")
            .unwrap();
        assert_eq!(d.severity, Severity::Error);
        assert!(
            d.message.contains("reads vault.decrypted_secrets"),
            "{}",
            d.message
        );
    }

    #[test]
    fn trigger_functions_and_invoker_functions_pass() {
        let sql = "create function t() returns trigger language plpgsql security definer as $$ begin return new; end $$;\ncreate function i() returns int language sql as $$ select 1 $$;";
        assert!(findings("security-definer-executable", &[sql]).is_empty());
    }
}
