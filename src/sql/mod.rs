//! SQL text helpers shared by the whole crate: a lexer that knows PostgreSQL's quoting rules,
//! a statement splitter with source positions, name normalisation, and quoting.

pub mod lex;
pub mod names;
pub mod quote;
pub mod split;

pub use quote::{quote_ident, quote_literal};
pub use split::{line_col, split, SplitError, SplitErrorKind, Statement};

/// `haystack` contains `needle` (ASCII case-insensitive), without allocating: a cheap test
/// before tokenising a text for a word it may not have.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    #[test]
    fn contains_ci_ignores_ascii_case() {
        assert!(super::contains_ci("select AUTH.uid()", "auth."));
        assert!(!super::contains_ci("select 1", "auth"));
        assert!(!super::contains_ci("au", "auth"));
    }
}
