//! Reporters: one folder or file per format, each writing to `impl io::Write`.

pub mod lint;
pub mod matrix;
