//! The ways a CHECK can be satisfied, read from its definition: `(kind = 'role' AND role_id IS
//! NOT NULL AND user_id IS NULL) OR (kind = 'user' AND ...)` gives one alternative per
//! disjunct, each a list of what it needs of which column. Conjuncts of any other shape are
//! left to the value repairs.

#[derive(Debug, Clone, PartialEq)]
pub enum Need {
    /// An SQL literal (without its cast).
    Equals(String),
    Null,
    NotNull,
}

pub type Alternative = Vec<(String, Need)>;

/// One alternative per top-level `OR` branch of `definition` (`CHECK (...)` as Postgres
/// prints it); empty when no branch says anything usable.
pub fn alternatives(definition: &str) -> Vec<Alternative> {
    let body = definition
        .trim()
        .strip_prefix("CHECK")
        .unwrap_or(definition)
        .trim()
        .trim_end_matches("NOT VALID")
        .trim();
    let alts: Vec<Alternative> = split_top(strip_parens(body), " OR ")
        .into_iter()
        .map(|d| {
            split_top(strip_parens(d), " AND ")
                .into_iter()
                .filter_map(|c| need(strip_parens(c)))
                .collect()
        })
        .collect();
    if alts.iter().all(Vec::is_empty) {
        Vec::new()
    } else {
        alts
    }
}

fn need(conjunct: &str) -> Option<(String, Need)> {
    if let Some(col) = conjunct.strip_suffix(" IS NOT NULL") {
        return Some((column(col)?, Need::NotNull));
    }
    if let Some(col) = conjunct.strip_suffix(" IS NULL") {
        return Some((column(col)?, Need::Null));
    }
    if let Some((lhs, rhs)) = conjunct.split_once(" = ") {
        let col = column(lhs)?;
        // `= ANY (ARRAY[...])` lists are left to the value repairs, which try every item.
        return Some((col, Need::Equals(first_literal(rhs)?)));
    }
    if let Some(col) = conjunct.strip_prefix("NOT ") {
        return Some((column(col)?, Need::Equals("false".into())));
    }
    Some((column(conjunct)?, Need::Equals("true".into())))
}

/// A bare (possibly quoted, parenthesized or cast) column name.
fn column(expr: &str) -> Option<String> {
    let mut e = strip_parens(expr.trim());
    if let Some((inner, _cast)) = e.rsplit_once("::") {
        e = strip_parens(inner);
    }
    if let Some(q) = e.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
        return (!q.contains('"')).then(|| q.to_string());
    }
    (!e.is_empty() && e.chars().all(|c| c.is_alphanumeric() || c == '_')).then(|| e.to_string())
}

/// `'text'` (with its quotes, doubled quotes kept) or a number at the start of `expr`.
fn first_literal(expr: &str) -> Option<String> {
    let expr = strip_parens(expr.trim());
    if expr.starts_with('\'') {
        let mut end = 1;
        let b = expr.as_bytes();
        while end < b.len() {
            if b[end] == b'\'' {
                if b.get(end + 1) == Some(&b'\'') {
                    end += 2;
                    continue;
                }
                return Some(expr[..=end].to_string());
            }
            end += 1;
        }
        return None;
    }
    let num: String = expr
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    (!num.is_empty() && num.parse::<f64>().is_ok()).then_some(num)
}

/// `expr` without parentheses that wrap all of it.
fn strip_parens(mut expr: &str) -> &str {
    loop {
        expr = expr.trim();
        if !(expr.starts_with('(') && expr.ends_with(')')) {
            return expr;
        }
        let mut depth = 0;
        let mut quoted = false;
        for (i, c) in expr.char_indices() {
            match c {
                '\'' => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted => {
                    depth -= 1;
                    if depth == 0 && i != expr.len() - 1 {
                        return expr;
                    }
                }
                _ => {}
            }
        }
        expr = &expr[1..expr.len() - 1];
    }
}

/// `expr` split on `sep` outside parentheses and quotes.
fn split_top<'e>(expr: &'e str, sep: &str) -> Vec<&'e str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let mut i = 0;
    while i < expr.len() {
        let c = expr.as_bytes()[i];
        match c {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ if !quoted && depth == 0 && expr[i..].starts_with(sep) => {
                parts.push(&expr[start..i]);
                i += sep.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&expr[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disjuncts_of_a_kind_rule() {
        let alts = alternatives(
            "CHECK ((((target_type = 'role'::text) AND (role_id IS NOT NULL) AND (user_id IS NULL)) OR ((target_type = 'user'::text) AND (user_id IS NOT NULL) AND (role_id IS NULL))))",
        );
        assert_eq!(alts.len(), 2);
        assert_eq!(
            alts[1],
            vec![
                ("target_type".into(), Need::Equals("'user'".into())),
                ("user_id".into(), Need::NotNull),
                ("role_id".into(), Need::Null),
            ]
        );
        let alts = alternatives(
            "CHECK (((discount_type = 'percent'::discount_type) AND (percent_off IS NOT NULL)) OR ((\"Kind\")::text = ANY (ARRAY['a'::text, 'b'::text])))",
        );
        assert_eq!(alts[1], vec![]);
        assert!(alternatives("CHECK ((a > 0))").is_empty());
    }
}
