//! Questions the rules ask about a function's body (as written in the file, or `prosrc` from
//! the catalog): who is calling, what it writes, and what it EXECUTEs.

use crate::sql::lex::{tokens, Token, TokenKind};
use crate::sql::names::normalize_ident;

fn code_tokens(body: &str) -> Vec<Token> {
    tokens(body)
        .map_while(Result::ok)
        .filter(|t| !t.is_comment())
        .collect()
}

/// The body asks who the caller is: `auth.uid()`, `auth.jwt()`, `auth.role()`, `auth.email()`,
/// or the request's claims through `current_setting('request.jwt...')`.
pub fn checks_caller(body: &str) -> bool {
    if !crate::sql::contains_ci(body, "auth") && !crate::sql::contains_ci(body, "current_setting") {
        return false;
    }
    let toks = code_tokens(body);
    toks.iter().enumerate().any(|(i, t)| {
        let auth = t.is_word(body, "auth")
            && toks.get(i + 1).is_some_and(|d| d.is_punct(body, '.'))
            && toks.get(i + 2).is_some_and(|f| {
                ["uid", "jwt", "role", "email"]
                    .iter()
                    .any(|n| f.is_word(body, n))
            });
        let claims = t.is_word(body, "current_setting")
            && toks.get(i + 2).is_some_and(|a| {
                a.kind == TokenKind::String && a.text(body).contains("request.jwt")
            });
        auth || claims
    })
}

/// Tables the body writes: `insert into t`, `update t set`, `delete from t` (not the `update`
/// of `on conflict do update` or `for update`), as normalised name parts.
pub fn written_tables(body: &str) -> Vec<Vec<String>> {
    let toks = code_tokens(body);
    let name_at = |k: usize| -> Option<Vec<String>> {
        let mut parts = Vec::new();
        let mut k = k;
        loop {
            let t = toks.get(k)?;
            if !matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent) {
                return None;
            }
            parts.push(normalize_ident(t.text(body)));
            if !toks.get(k + 1).is_some_and(|d| d.is_punct(body, '.')) {
                return Some(parts);
            }
            k += 2;
        }
    };
    let skip_only = |k: usize| {
        if toks.get(k).is_some_and(|n| n.is_word(body, "only")) {
            k + 1
        } else {
            k
        }
    };
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let prev_is = |w: &str| i > 0 && toks[i - 1].is_word(body, w);
        let target = if t.is_word(body, "insert")
            && toks.get(i + 1).is_some_and(|n| n.is_word(body, "into"))
        {
            name_at(i + 2)
        } else if t.is_word(body, "delete")
            && toks.get(i + 1).is_some_and(|n| n.is_word(body, "from"))
        {
            name_at(skip_only(i + 2))
        } else if t.is_word(body, "update") && !prev_is("do") && !prev_is("for") {
            name_at(skip_only(i + 1))
        } else {
            None
        };
        if let Some(parts) = target.filter(|p| !p.is_empty()) {
            out.push(parts);
        }
    }
    out
}

/// How a PL/pgSQL body runs dynamic SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DynamicSql {
    /// Text that can come from the caller reaches EXECUTE unquoted: a parameter or variable
    /// EXECUTEd as is, `||` with a value not passed through `quote_ident`/`quote_literal`/
    /// `quote_nullable`, or `format()` with `%s`.
    Injectable,
    /// Identifiers quoted with `%I`/`quote_ident`, values with `%L` or bound with `USING`.
    Quoted,
}

fn is_quoting_call(toks: &[Token], body: &str, k: usize) -> bool {
    ["quote_ident", "quote_literal", "quote_nullable"]
        .iter()
        .any(|f| toks[k].is_word(body, f))
        && toks.get(k + 1).is_some_and(|p| p.is_punct(body, '('))
}

/// Whether the expression in `toks` (an EXECUTE's string, or what a variable is assigned)
/// can carry unquoted caller text.
fn unquoted(toks: &[Token], body: &str, assigned: &dyn Fn(&str) -> Option<bool>) -> bool {
    if toks.is_empty() {
        return false;
    }
    if toks.len() == 1 {
        return match toks[0].kind {
            TokenKind::String | TokenKind::DollarString => false,
            TokenKind::Number => toks[0].text(body).starts_with('$'),
            _ => assigned(&normalize_ident(toks[0].text(body))).unwrap_or(true),
        };
    }
    let format_with_s = toks.iter().enumerate().any(|(k, t)| {
        t.is_word(body, "format")
            && toks.get(k + 1).is_some_and(|p| p.is_punct(body, '('))
            && toks.get(k + 2).is_some_and(|f| {
                matches!(f.kind, TokenKind::String | TokenKind::DollarString)
                    && f.text(body).contains("%s")
            })
    });
    if format_with_s {
        return true;
    }
    let concatenates = toks
        .windows(2)
        .any(|w| w[0].is_punct(body, '|') && w[1].is_punct(body, '|'));
    if !concatenates {
        return false;
    }
    let mut depth = 0i32;
    let mut operand_start = true;
    let mut k = 0;
    while k < toks.len() {
        let t = toks[k];
        if t.is_punct(body, '(') {
            depth += 1;
        } else if t.is_punct(body, ')') {
            depth -= 1;
        } else if depth == 0 && t.is_punct(body, '|') {
            operand_start = true;
            k += 1;
            continue;
        } else if depth == 0 && operand_start {
            let safe = matches!(t.kind, TokenKind::String | TokenKind::DollarString)
                || is_quoting_call(toks, body, k)
                || t.is_word(body, "format");
            if !safe {
                let name = normalize_ident(t.text(body));
                let is_ident = matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent)
                    && !toks.get(k + 1).is_some_and(|p| p.is_punct(body, '('));
                if !is_ident || assigned(&name).unwrap_or(true) {
                    return true;
                }
            }
        }
        operand_start = false;
        k += 1;
    }
    false
}

/// The dynamic SQL a PL/pgSQL body runs, the worst of its EXECUTEs; `None` without EXECUTE.
pub fn dynamic_sql(language: &str, body: &str) -> Option<DynamicSql> {
    if !language.eq_ignore_ascii_case("plpgsql") {
        return None;
    }
    let toks = code_tokens(body);
    let statement_end = |from: usize, stop: &[&str]| {
        let mut depth = 0i32;
        (from..toks.len())
            .find(|&k| {
                let t = toks[k];
                if t.is_punct(body, '(') {
                    depth += 1;
                } else if t.is_punct(body, ')') {
                    depth -= 1;
                }
                depth <= 0 && (t.is_punct(body, ';') || stop.iter().any(|w| t.is_word(body, w)))
            })
            .unwrap_or(toks.len())
    };
    let is_assign = |k: usize| {
        toks[k].is_punct(body, ':') && toks.get(k + 1).is_some_and(|e| e.is_punct(body, '='))
    };
    // `name := expr`, and a declaration's initializer: `name [constant] type := expr` or
    // `name type default expr`, the declaration starting a statement.
    let assignments = |name: &str| -> Vec<(usize, usize)> {
        toks.iter()
            .enumerate()
            .filter(|(_, t)| {
                matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent)
                    && normalize_ident(t.text(body)) == name
            })
            .filter_map(|(k, _)| {
                if k + 1 < toks.len() && is_assign(k + 1) {
                    return Some(k + 3);
                }
                let declares = k == 0
                    || toks[k - 1].is_punct(body, ';')
                    || toks[k - 1].is_word(body, "declare");
                if !declares {
                    return None;
                }
                let end = statement_end(k + 1, &[]);
                (k + 1..end).find_map(|j| {
                    if is_assign(j) {
                        Some(j + 2)
                    } else if toks[j].is_word(body, "default") {
                        Some(j + 1)
                    } else {
                        None
                    }
                })
            })
            .map(|start| (start, statement_end(start, &[])))
            .collect()
    };
    let mut worst = None;
    for (i, t) in toks.iter().enumerate() {
        if !t.is_word(body, "execute")
            || toks
                .get(i + 1)
                .is_some_and(|n| n.is_word(body, "function") || n.is_word(body, "procedure"))
        {
            continue;
        }
        let end = statement_end(i + 1, &["using", "into"]);
        let assigned = |name: &str| -> Option<bool> {
            let found = assignments(name);
            if found.is_empty() {
                return None;
            }
            Some(
                found
                    .iter()
                    .any(|&(s, e)| unquoted(&toks[s..e], body, &|_| Some(true))),
            )
        };
        let kind = if unquoted(&toks[i + 1..end], body, &assigned) {
            DynamicSql::Injectable
        } else {
            DynamicSql::Quoted
        };
        if kind == DynamicSql::Injectable {
            return Some(kind);
        }
        worst = Some(kind);
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_checks_and_writes() {
        assert!(checks_caller("select 1 from t where owner = auth.uid()"));
        assert!(checks_caller(
            "v := current_setting('request.jwt.claims', true)::jsonb"
        ));
        assert!(!checks_caller("select 1 from t -- auth.uid()\n"));
        let w: Vec<String> = written_tables(
            "insert into public.a values (1) on conflict (id) do update set x = 1; update b set y = 2; delete from only c; select * from d for update;",
        )
        .into_iter()
        .map(|p| p.join("."))
        .collect();
        assert_eq!(w, ["public.a", "b", "c"]);
    }

    #[test]
    fn dynamic_sql_quoted_or_injectable() {
        let d = |b: &str| dynamic_sql("plpgsql", b);
        assert_eq!(d("begin execute sql; end"), Some(DynamicSql::Injectable));
        assert_eq!(
            d("begin execute format('select count(*) from %I where id = $1', tbl) using id into n; end"),
            Some(DynamicSql::Quoted)
        );
        assert_eq!(
            d("begin execute format('select * from %s', tbl); end"),
            Some(DynamicSql::Injectable)
        );
        assert_eq!(
            d("begin execute 'select * from ' || tbl; end"),
            Some(DynamicSql::Injectable)
        );
        assert_eq!(
            d("begin execute 'select * from ' || quote_ident(tbl) || ' where a = ' || quote_literal(v); end"),
            Some(DynamicSql::Quoted)
        );
        assert_eq!(
            d("declare q text; begin q := format('delete from %I', tbl); execute q; end"),
            Some(DynamicSql::Quoted)
        );
        assert_eq!(
            d("declare q text; begin q := 'delete from ' || tbl; execute q; end"),
            Some(DynamicSql::Injectable)
        );
        assert_eq!(
            d("declare q text := 'delete from t where a = ' || quote_literal(v); begin execute q; end"),
            Some(DynamicSql::Quoted)
        );
        assert_eq!(
            d("declare n int; q constant text default format('delete from %I', tbl); begin execute q; end"),
            Some(DynamicSql::Quoted)
        );
        assert_eq!(
            d("declare q text := 'delete from t where a = ' || v; begin execute q; end"),
            Some(DynamicSql::Injectable)
        );
        assert_eq!(d("begin perform 1; end"), None);
        assert_eq!(dynamic_sql("sql", "select 1"), None);
    }
}
