//! The adversary a first run adds: `mallory`, a signed-in user who wrote into her own
//! `user_metadata` (any user can, with `supabase.auth.updateUser`) every value the migrations
//! compare it with. A policy or helper that trusts such a value (`auth.jwt() -> 'user_metadata'
//! ->> 'role' = 'admin'`) then hands her what it meant for someone else, and the presumption
//! sees her read other users' rows.

use serde_json::{Map, Value as Json};

use crate::spec::identities::deep_merge;
use crate::spec::Identity;
use crate::sql::lex::{tokens, Token, TokenKind};

/// Her name in reports and in the identities.toml a snapshot writes.
pub const MALLORY: &str = "mallory";

/// `mallory`, when some migration reads `user_metadata` (or `raw_user_meta_data`): her claims
/// carry every `key = 'value'` the migrations compare it with (`role: admin` when none is
/// written as a literal), and so does her `auth.users` row.
pub fn mallory<'a>(migrations: impl IntoIterator<Item = &'a str>) -> Option<Identity> {
    let mut reads = false;
    let mut forged = Map::new();
    for text in migrations {
        scan(text, &mut reads, &mut forged);
    }
    if !reads {
        return None;
    }
    if forged.is_empty() {
        forged.insert("role".into(), Json::String("admin".into()));
    }
    let mut identity = Identity::new(MALLORY, "authenticated");
    let metadata = Json::Object(forged);
    identity.setup.push(format!(
        "update auth.users set raw_user_meta_data = coalesce(raw_user_meta_data, '{{}}'::jsonb) || {}::jsonb where id = '{}'",
        crate::sql::quote_literal(&metadata.to_string()),
        identity.sub.as_deref().unwrap_or_default()
    ));
    deep_merge(
        &mut identity.claims,
        serde_json::json!({ "user_metadata": metadata }),
    );
    Some(identity)
}

/// `mallory` as `policy_specs/identities.toml` declares her, so that the specs a snapshot writes
/// for her name an identity the next run knows.
pub fn declaration(mallory: &Identity) -> String {
    let setup = mallory
        .setup
        .iter()
        .map(|s| {
            let sql = match mallory.sub.as_deref() {
                Some(sub) => s.replace(sub, "{sub}"),
                None => s.clone(),
            };
            toml_edit::Value::from(sql).to_string()
        })
        .collect::<Vec<_>>()
        .join(", ");
    let claims = json_to_toml(&mallory.claims["user_metadata"]);
    format!(
        "# Written by `rlsgate snapshot` after a first run: `mallory` is the presumption's adversary, a\n\
         # signed-in user who wrote into her own user_metadata (any user can, with\n\
         # supabase.auth.updateUser) the values the migrations compare it with. She must reach no more\n\
         # than any other user. Identities beyond the defaults (anon, alice, bob, admin, service):\n\
         # docs/specs.md.\n\
         \n\
         [identities.{MALLORY}]\n\
         role = \"authenticated\"\n\
         claims = {{ user_metadata = {claims} }}\n\
         setup = [{setup}]\n"
    )
}

fn json_to_toml(json: &Json) -> toml_edit::Value {
    match json {
        Json::Object(map) => {
            let mut table = toml_edit::InlineTable::new();
            for (k, v) in map {
                table.insert(k, json_to_toml(v));
            }
            toml_edit::Value::InlineTable(table)
        }
        Json::Array(items) => toml_edit::Value::Array(items.iter().map(json_to_toml).collect()),
        Json::Bool(b) => toml_edit::Value::from(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => toml_edit::Value::from(i),
            None => toml_edit::Value::from(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => toml_edit::Value::from(s.as_str()),
        Json::Null => toml_edit::Value::from(""),
    }
}

fn scan(text: &str, reads: &mut bool, forged: &mut Map<String, Json>) {
    let toks: Vec<Token> = tokens(text)
        .map_while(Result::ok)
        .filter(|t| !t.is_comment())
        .collect();
    for (i, t) in toks.iter().enumerate() {
        if t.kind == TokenKind::DollarString {
            let body = t.text(text);
            let inner = body
                .find('$')
                .and_then(|open| body[open + 1..].find('$').map(|e| open + 1 + e + 1))
                .zip(body.rfind('$').and_then(|close| body[..close].rfind('$')))
                .and_then(|(from, to)| body.get(from..to));
            if let Some(inner) = inner {
                scan(inner, reads, forged);
            }
            continue;
        }
        let names_metadata = match t.kind {
            TokenKind::String => unquote(t.text(text)).eq_ignore_ascii_case("user_metadata"),
            TokenKind::Word => {
                let w = t.text(text);
                w.eq_ignore_ascii_case("raw_user_meta_data")
                    || w.eq_ignore_ascii_case("user_metadata")
            }
            _ => false,
        };
        if !names_metadata {
            continue;
        }
        *reads = true;
        if let Some((key, values)) = compared(text, &toks[i + 1..]) {
            if let Some(value) = values.into_iter().next() {
                forged.entry(key).or_insert(Json::String(value));
            }
        }
    }
}

/// After `user_metadata`: `->> 'key'`, closing parentheses and casts, then `= 'value'` or
/// `in ('value', ...)`.
fn compared(text: &str, toks: &[Token]) -> Option<(String, Vec<String>)> {
    let mut it = toks.iter().peekable();
    let mut arrows = 0;
    while it
        .next_if(|t| t.is_punct(text, '-') || t.is_punct(text, '>'))
        .is_some()
    {
        arrows += 1;
    }
    if arrows < 2 {
        return None;
    }
    let key = it.next().filter(|t| t.kind == TokenKind::String)?;
    let key = unquote(key.text(text));
    loop {
        if it.next_if(|t| t.is_punct(text, ')')).is_some() {
            continue;
        }
        if it.next_if(|t| t.is_punct(text, ':')).is_some() {
            it.next_if(|t| t.is_punct(text, ':'));
            it.next_if(|t| t.kind == TokenKind::Word);
            continue;
        }
        break;
    }
    let next = it.next()?;
    let mut values = Vec::new();
    if next.is_punct(text, '=') {
        values.push(unquote(
            it.next()
                .filter(|t| t.kind == TokenKind::String)?
                .text(text),
        ));
    } else if next.is_word(text, "in") && it.next()?.is_punct(text, '(') {
        for t in it {
            match t.kind {
                TokenKind::String => values.push(unquote(t.text(text))),
                TokenKind::Punct if t.is_punct(text, ',') => {}
                _ => break,
            }
        }
    }
    (!values.is_empty()).then_some((key, values))
}

fn unquote(literal: &str) -> String {
    literal
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(literal)
        .replace("''", "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forged(sql: &str) -> Option<Json> {
        mallory([sql]).map(|m| m.claims["user_metadata"].clone())
    }

    #[test]
    fn forges_what_the_policies_compare() {
        let policy = "create policy p on t for select to authenticated using (((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');";
        assert_eq!(forged(policy), Some(serde_json::json!({"role": "admin"})));
        let helper = "create function private.is_staff() returns boolean language sql as $$\n  select coalesce((auth.jwt() -> 'user_metadata' ->> 'team')::text in ('staff', 'ops'), false);\n$$;";
        assert_eq!(forged(helper), Some(serde_json::json!({"team": "staff"})));
        let raw = "create policy p on t using (exists (select 1 from auth.users u where u.raw_user_meta_data ->> 'is_admin' = 'true'));";
        assert_eq!(forged(raw), Some(serde_json::json!({"is_admin": "true"})));
    }

    #[test]
    fn reading_without_a_literal_forges_an_admin_role() {
        let sql = "create function f() returns jsonb language sql as $$ select auth.jwt() -> 'user_metadata' $$;";
        assert_eq!(forged(sql), Some(serde_json::json!({"role": "admin"})));
    }

    #[test]
    fn no_metadata_no_mallory() {
        assert_eq!(
            forged("create policy p on t using (auth.uid() = user_id); -- user_metadata"),
            None
        );
    }

    #[test]
    fn her_declaration_reads_back_as_the_same_identity() {
        let m = mallory(["select 1 where (auth.jwt() -> 'user_metadata' ->> 'role') = 'admin'"])
            .unwrap();
        let text = declaration(&m);
        let source = crate::spec::source::SourceFile::new("identities.toml", &text);
        let declared = crate::spec::identities::parse_identities(&source).unwrap();
        let again = declared.iter().find(|i| i.name == MALLORY).unwrap();
        assert_eq!(again.claims["user_metadata"], m.claims["user_metadata"]);
        assert_eq!(again.setup, m.setup);
        assert_eq!(again.sub, m.sub);
    }

    #[test]
    fn her_auth_row_carries_the_metadata_too() {
        let m = mallory(["select 1 where (auth.jwt() -> 'user_metadata' ->> 'role') = 'admin'"])
            .unwrap();
        assert_eq!(m.role, "authenticated");
        assert!(
            m.setup[0].contains(r#"'{"role":"admin"}'::jsonb"#),
            "{}",
            m.setup[0]
        );
    }
}
