//! Observed vs expected: every table, view or function x identity x action becomes one
//! [`Cell`] that passes, fails, is unspecified, or is inconclusive (never a pass). Its
//! expected and actual [`Reach`] are typed, so reports read structure, not words.

mod call;
mod cell;
mod function;
pub mod presumption;
mod reach;
mod relation;
mod shapes;
mod subject;

pub use call::{describe as describe_call, judge_calls};
pub use cell::{status, summarize, Cell, CellOutcome, Summary};
pub use function::judge_functions;
pub use presumption::{presume, Breach, Suspicion};
pub use reach::{
    insert_phrase, insert_word, rows_phrase, scope_words, Allowance, Breadth, Coverage, Reach,
};
pub use relation::{admits, insert_expects, judge, name_rows, observed, resolve, Observed};
pub use shapes::ShapeNote;
pub use subject::{Action, Subject};
