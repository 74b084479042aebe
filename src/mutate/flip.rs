//! `=` to `<>` in a policy expression as Postgres prints it (`pg_get_expr`): every `=` that is
//! an equality operator, outside string literals and quoted identifiers.

/// Byte offsets of every equality `=` in `expr`.
pub fn equalities(expr: &str) -> Vec<usize> {
    let bytes = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == q {
                        if bytes.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'=' => {
                let prev = i.checked_sub(1).map(|p| bytes[p]);
                let next = bytes.get(i + 1).copied();
                let operator_char = |c: Option<u8>| {
                    matches!(
                        c,
                        Some(
                            b'<' | b'>'
                                | b'!'
                                | b'='
                                | b':'
                                | b'~'
                                | b'@'
                                | b'#'
                                | b'%'
                                | b'^'
                                | b'&'
                                | b'|'
                                | b'?'
                                | b'-'
                                | b'+'
                                | b'*'
                                | b'/'
                        )
                    )
                };
                if !operator_char(prev) && !operator_char(next) {
                    out.push(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `expr` with the `=` at byte `at` replaced by `<>`.
pub fn flip_at(expr: &str, at: usize) -> String {
    format!("{}<>{}", &expr[..at], &expr[at + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_equalities_outside_literals() {
        let e = "((( SELECT auth.uid() AS uid) = owner_id) AND (role = 'a=b'::text) AND (x <> y) AND (n >= 1) AND (\"we=ird\" = 2))";
        let found: Vec<String> = equalities(e).into_iter().map(|i| flip_at(e, i)).collect();
        assert_eq!(found.len(), 3);
        assert!(found[0].contains("AS uid) <> owner_id"));
        assert!(found[1].contains("(role <> 'a=b'::text)"));
        assert!(found[2].contains("(\"we=ird\" <> 2)"));
    }

    #[test]
    fn ignores_named_arguments_and_compound_operators() {
        assert!(equalities("f(a => 1) AND (x <= 2) AND (j @> '{}') AND (y != 3)").is_empty());
    }
}
