//! SQL text helpers shared by the whole crate: a lexer that knows PostgreSQL's quoting rules,
//! a statement splitter with source positions, name normalisation, and quoting.

pub mod lex;
pub mod names;
pub mod quote;
pub mod split;

pub use quote::{quote_ident, quote_literal};
pub use split::{line_col, split, SplitError, SplitErrorKind, Statement};
