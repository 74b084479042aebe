//! Reporters: one folder or file per format, each writing to `impl io::Write`.

pub mod audit;
pub mod diff;
pub mod lint;
pub mod matrix;
pub mod pgtap;
pub mod sarif;
