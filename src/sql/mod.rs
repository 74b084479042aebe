//! SQL text helpers shared by the whole crate: a lexer that knows PostgreSQL's quoting rules,
//! a statement splitter with source positions, and name normalisation.

pub mod lex;
pub mod names;
pub mod split;

pub use split::{line_col, split, SplitError, SplitErrorKind, Statement};
