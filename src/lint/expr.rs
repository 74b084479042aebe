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
    if !crate::sql::contains_ci(expr, "user_meta") {
        return None;
    }
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

/// A parenthesised group while walking an expression: a subquery (`(select ...`) or not, and
/// for a subquery whether its FROM has started.
#[derive(Clone, Copy)]
struct Frame {
    select: bool,
    from_seen: bool,
}

/// Calls evaluated for every row rather than once per statement: `auth.uid()`, `auth.jwt()`,
/// `auth.role()`, `auth.email()`, `current_setting(...)`, unless they sit in a subquery without
/// FROM (`(select auth.uid())`, an init plan) or in a subquery's select list before its FROM.
/// A call in a subquery's WHERE (`exists (select 1 from m where m.user_id = auth.uid())`) runs
/// for every row that subquery reads. Returns the byte range of each call's name and the name.
pub fn per_row_auth_calls(expr: &str) -> Vec<(usize, usize, String)> {
    let toks = code_tokens(expr);
    let mut frames: Vec<Frame> = Vec::new();
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        if t.is_punct(expr, '(') {
            let select = toks.get(i + 1).is_some_and(|n| n.is_word(expr, "select"));
            frames.push(Frame {
                select,
                from_seen: false,
            });
        } else if t.is_punct(expr, ')') {
            frames.pop();
        } else if t.is_word(expr, "from") {
            if let Some(f) = frames.last_mut().filter(|f| f.select) {
                f.from_seen = true;
            }
        } else if t.kind == TokenKind::Word {
            let once = frames
                .iter()
                .rev()
                .find(|f| f.select)
                .is_some_and(|f| !f.from_seen);
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
                if !once {
                    found.push((
                        t.start,
                        toks[i + 2].end,
                        format!("auth.{}()", toks[i + 2].text(expr).to_ascii_lowercase()),
                    ));
                }
                i += 3;
                continue;
            }
            if is_setting && !once {
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
            names("exists (select 1 from user_orgs uo where uo.org_id = t.org_id and uo.user_id = auth.uid())"),
            ["auth.uid()"],
            "a correlated subquery runs per row, and the call in its WHERE per row it reads"
        );
        assert!(names("exists (select 1 from m where m.user_id = (select auth.uid()))").is_empty());
        assert!(names("(select coalesce(auth.jwt() ->> 'x', '') ) = y").is_empty());
        assert!(names("(select extract(epoch from now()) + auth.uid()::int) > 0").is_empty());
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
}
