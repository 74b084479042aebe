//! Object names as Postgres resolves them: unquoted parts fold to lower case, quoted parts keep
//! their case, and an unqualified name lives in `public` (the migration role's search_path).

use std::fmt;

use serde::Serialize;

/// A schema-qualified object name, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// From already-normalised parts; a single part gets schema `public`.
    pub fn from_parts(parts: &[String]) -> Option<Self> {
        match parts {
            [name] => Some(QualifiedName::new("public", name.clone())),
            [.., schema, name] => Some(QualifiedName::new(schema.clone(), name.clone())),
            [] => None,
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}",
            super::quote_ident(&self.schema),
            super::quote_ident(&self.name)
        )
    }
}

/// Normalise one identifier as written in SQL: `"Foo"` -> `Foo`, `Foo` -> `foo`.
pub fn normalize_ident(raw: &str) -> String {
    if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        raw[1..raw.len() - 1].replace("\"\"", "\"")
    } else {
        raw.to_lowercase()
    }
}

/// `text` holds `word` as a whole identifier (`users` in `auth.users u`, not in `users_x`).
pub fn names_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !part(before) && !part(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_unquoted_names_fold_like_postgres() {
        assert_eq!(normalize_ident("Profiles"), "profiles");
        assert_eq!(normalize_ident("\"Profiles\""), "Profiles");
        assert_eq!(normalize_ident("\"a\"\"b\""), "a\"b");
        let unqualified = QualifiedName::from_parts(&["profiles".into()]).unwrap();
        let qualified = QualifiedName::from_parts(&["public".into(), "profiles".into()]).unwrap();
        assert_eq!(unqualified, qualified);
        assert_eq!(
            QualifiedName::new("public", "My Table").to_string(),
            "public.\"My Table\""
        );
    }
}
