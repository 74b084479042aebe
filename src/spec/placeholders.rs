//! `{sub}`, `{email}` and `{name}` in an identity's `setup` SQL, substituted as SQL values,
//! never pasted as text: bare, a placeholder becomes a string literal (`where id = {sub}`);
//! inside a string literal (`'{email}'`), a quoted identifier or a dollar-quoted body (a `DO`
//! block, read as SQL itself), it is escaped for where it stands. A quote in an email can
//! then neither break the statement nor run SQL of its own.

use crate::sql::lex::{self, TokenKind};
use crate::sql::quote_literal;

/// `sql` with every `{key}` of `values` substituted; an error says why a placeholder cannot
/// be (inside a bit-string, or a value that would end its dollar quote).
pub fn substitute(sql: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mentions = |text: &str| {
        values
            .iter()
            .any(|(k, _)| text.contains(&format!("{{{k}}}")))
    };
    if !mentions(sql) {
        return Ok(sql.to_string());
    }
    let tokens = lex::tokens(sql)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        let text = token.text(sql);
        i += 1;
        let replacement = match token.kind {
            TokenKind::Punct if text == "{" => {
                let Some((key, value)) = values
                    .iter()
                    .find(|(k, _)| sql[token.start..].starts_with(&format!("{{{k}}}")))
                else {
                    continue;
                };
                let end = token.start + key.len() + 2;
                while i < tokens.len() && tokens[i].start < end {
                    i += 1;
                }
                out.push_str(&sql[copied..token.start]);
                out.push_str(&quote_literal(value));
                copied = end;
                continue;
            }
            TokenKind::String if mentions(text) => {
                let escape: fn(&str) -> String = match text.as_bytes()[0] {
                    b'\'' => |v| v.replace('\'', "''"),
                    b'e' | b'E' => |v| v.replace('\\', "\\\\").replace('\'', "''"),
                    _ => return Err(format!("a placeholder inside {text} cannot be substituted")),
                };
                replace_all(text, values, escape)
            }
            TokenKind::QuotedIdent if mentions(text) => {
                replace_all(text, values, |v| v.replace('"', "\"\""))
            }
            TokenKind::DollarString if mentions(text) => {
                let tag_len = text[1..].find('$').map_or(1, |p| p + 2);
                let tag = &text[..tag_len];
                let body = substitute(&text[tag_len..text.len() - tag_len], values)?;
                if body.contains(tag) {
                    return Err(format!(
                        "a substituted value contains `{tag}`, which would end the dollar quote"
                    ));
                }
                format!("{tag}{body}{tag}")
            }
            _ => continue,
        };
        out.push_str(&sql[copied..token.start]);
        out.push_str(&replacement);
        copied = token.end;
    }
    out.push_str(&sql[copied..]);
    Ok(out)
}

fn replace_all(text: &str, values: &[(&str, &str)], escape: fn(&str) -> String) -> String {
    values.iter().fold(text.to_string(), |t, (k, v)| {
        t.replace(&format!("{{{k}}}"), &escape(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: &[(&str, &str)] = &[
        ("sub", "0b5f5b9e-0000-8000-8000-000000000001"),
        ("email", "o'brien@example.test'); drop table x; --"),
        ("name", "mallory"),
    ];

    #[test]
    fn bare_placeholders_become_literals_and_quoted_ones_are_escaped_in_place() {
        assert_eq!(
            substitute("update p set role = 'admin' where id = {sub}", VALUES).unwrap(),
            "update p set role = 'admin' where id = '0b5f5b9e-0000-8000-8000-000000000001'"
        );
        assert_eq!(
            substitute("insert into t values ('{email}', {name})", VALUES).unwrap(),
            "insert into t values ('o''brien@example.test''); drop table x; --', 'mallory')"
        );
        assert_eq!(
            substitute("select E'{email}\\n'", &[("email", r"a\b'c")]).unwrap(),
            r"select E'a\\b''c\n'"
        );
        assert_eq!(
            substitute("-- {name}\nselect \"{name}\"", VALUES).unwrap(),
            "-- {name}\nselect \"mallory\""
        );
        assert_eq!(
            substitute("select '{}'::jsonb", VALUES).unwrap(),
            "select '{}'::jsonb"
        );
    }

    #[test]
    fn dollar_quoted_bodies_are_substituted_as_sql() {
        assert_eq!(
            substitute("do $$ begin perform f('{email}', {name}); end $$", VALUES).unwrap(),
            "do $$ begin perform f('o''brien@example.test''); drop table x; --', 'mallory'); end $$"
        );
        assert!(substitute("do $$ select {name} $$", &[("name", "a$$b")]).is_err());
    }
}
