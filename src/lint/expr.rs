//! Questions the rules ask about a policy expression, on its text (as written in the file, as
//! printed by sqlparser, or as `pg_get_expr` returns it).

use crate::sql::lex::{tokens, Token, TokenKind};

fn code_tokens(expr: &str) -> Vec<Token> {
    tokens(expr)
        .map_while(Result::ok)
        .filter(|t| !t.is_comment())
        .collect()
}

/// `true`, `(true)`, `1 = 1`: the expression admits every row.
pub fn is_always_true(expr: &str) -> bool {
    let toks: Vec<String> = code_tokens(expr)
        .iter()
        .map(|t| t.text(expr).to_ascii_lowercase())
        .filter(|t| t != "(" && t != ")")
        .collect();
    let toks: Vec<&str> = toks.iter().map(String::as_str).collect();
    matches!(
        toks.as_slice(),
        ["true"] | ["1", "=", "1"] | ["'t'", ":", ":", "boolean"] | ["true", ":", ":", "boolean"]
    )
}

/// Byte range of the first mention of `user_metadata` / `raw_user_meta_data`.
pub fn user_metadata_mention(expr: &str) -> Option<(usize, usize)> {
    code_tokens(expr).into_iter().find_map(|t| {
        let text = t.text(expr).to_ascii_lowercase();
        ["raw_user_meta_data", "user_metadata"]
            .iter()
            .find_map(|needle| {
                text.find(needle)
                    .map(|i| (t.start + i, t.start + i + needle.len()))
            })
    })
}

/// Calls evaluated once per row because they are not wrapped in `(select ...)`:
/// `auth.uid()`, `auth.jwt()`, `auth.role()`, `auth.email()`, `current_setting(...)`.
/// Returns the byte range of each call's name and the name.
pub fn per_row_auth_calls(expr: &str) -> Vec<(usize, usize, String)> {
    let toks = code_tokens(expr);
    let mut wrapped: Vec<bool> = Vec::new();
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        if t.is_punct(expr, '(') {
            let select = toks.get(i + 1).is_some_and(|n| n.is_word(expr, "select"));
            wrapped.push(select);
        } else if t.is_punct(expr, ')') {
            wrapped.pop();
        } else if t.kind == TokenKind::Word && !wrapped.iter().any(|w| *w) {
            let is_auth = t.is_word(expr, "auth")
                && toks.get(i + 1).is_some_and(|d| d.is_punct(expr, '.'))
                && toks.get(i + 2).is_some_and(|f| {
                    ["uid", "jwt", "role", "email"]
                        .iter()
                        .any(|n| f.is_word(expr, n))
                })
                && toks.get(i + 3).is_some_and(|p| p.is_punct(expr, '('));
            let is_setting = t.is_word(expr, "current_setting")
                && toks.get(i + 1).is_some_and(|p| p.is_punct(expr, '('))
                && !(i > 0 && toks[i - 1].is_punct(expr, '.'));
            if is_auth {
                let end = toks[i + 2].end;
                found.push((
                    t.start,
                    end,
                    format!("auth.{}()", toks[i + 2].text(expr).to_ascii_lowercase()),
                ));
                i += 3;
                continue;
            }
            if is_setting {
                found.push((t.start, t.end, "current_setting()".to_string()));
            }
        }
        i += 1;
    }
    found
}

/// Functions an expression calls, as normalised name parts with the byte range of the name.
pub fn called_functions(expr: &str) -> Vec<(Vec<String>, usize, usize)> {
    let toks = code_tokens(expr);
    let mut calls = Vec::new();
    let is_name = |t: &Token| matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent);
    for (i, t) in toks.iter().enumerate() {
        if !is_name(t) || !toks.get(i + 1).is_some_and(|p| p.is_punct(expr, '(')) {
            continue;
        }
        let name = crate::sql::names::normalize_ident(t.text(expr));
        if i >= 2 && toks[i - 1].is_punct(expr, '.') && is_name(&toks[i - 2]) {
            let schema = crate::sql::names::normalize_ident(toks[i - 2].text(expr));
            calls.push((vec![schema, name], toks[i - 2].start, t.end));
        } else if !(i >= 1 && toks[i - 1].is_punct(expr, '.')) {
            calls.push((vec![name], t.start, t.end));
        }
    }
    calls
}

/// A PL/pgSQL body runs dynamic SQL (`EXECUTE <string>`).
pub fn runs_dynamic_sql(language: &str, body: &str) -> bool {
    language.eq_ignore_ascii_case("plpgsql")
        && code_tokens(body).iter().any(|t| t.is_word(body, "execute"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_true_forms() {
        for e in ["true", "(true)", "( TRUE )", "1 = 1", "(1=1)"] {
            assert!(is_always_true(e), "{e}");
        }
        for e in ["auth.uid() = user_id", "true and false", "false"] {
            assert!(!is_always_true(e), "{e}");
        }
    }

    #[test]
    fn wrapped_auth_calls_are_not_per_row() {
        let names = |e: &str| {
            per_row_auth_calls(e)
                .into_iter()
                .map(|c| c.2)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("auth.uid() = user_id"), ["auth.uid()"]);
        assert!(names("(select auth.uid()) = user_id").is_empty());
        assert!(names("( SELECT auth.uid() AS uid) = user_id").is_empty());
        assert_eq!(
            names("user_id = auth.uid() or (select auth.jwt()) ->> 'role' = 'x'"),
            ["auth.uid()"]
        );
        assert_eq!(names("(auth.jwt() ->> 'role') = 'admin'"), ["auth.jwt()"]);
        assert_eq!(
            names("current_setting('x', true) = 'y'"),
            ["current_setting()"]
        );
        let e = "  auth.uid() = id";
        let (s, end, _) = per_row_auth_calls(e)[0];
        assert_eq!(&e[s..end], "auth.uid");
    }

    #[test]
    fn user_metadata_in_jwt_and_table_columns() {
        let e = "(auth.jwt() -> 'user_metadata' ->> 'role') = 'admin'";
        let (s, end) = user_metadata_mention(e).unwrap();
        assert_eq!(&e[s..end], "user_metadata");
        assert!(user_metadata_mention("u.raw_user_meta_data ->> 'x' = 'y'").is_some());
        assert!(user_metadata_mention("auth.jwt() -> 'app_metadata'").is_none());
    }

    #[test]
    fn function_calls_with_and_without_schema() {
        let calls: Vec<String> =
            called_functions("public.is_admin() or \"Owns\"(id) and coalesce(a, b) and x.y = 1")
                .into_iter()
                .map(|c| c.0.join("."))
                .collect();
        assert_eq!(calls, ["public.is_admin", "Owns", "coalesce"]);
    }

    #[test]
    fn dynamic_sql_is_plpgsql_execute() {
        assert!(runs_dynamic_sql("plpgsql", "begin execute sql; end"));
        assert!(!runs_dynamic_sql(
            "plpgsql",
            "begin perform 1; -- execute\n end"
        ));
        assert!(!runs_dynamic_sql("sql", "select 1"));
    }
}
