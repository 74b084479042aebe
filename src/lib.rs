//! rlsgate: prove who can read and write which rows in a Supabase-style Postgres database.
//!
//! The pipeline, one module per stage:
//! `cluster` (a throwaway Postgres) -> `supabase` (the emulation) -> `migrate` (the project's
//! SQL) -> `probe` (observed access) + `spec` (declared access) -> `verdict` -> `report`.
//! `lint` reads the SQL files and the migrated catalog on the side.

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod fuzz;
pub mod lint;
pub mod matrix;
pub mod migrate;
pub mod mutate;
pub mod probe;
pub mod project;
pub mod report;
pub mod spec;
pub mod sql;
pub mod supabase;
pub mod terminal;
pub mod verdict;

/// What a command found. Errors (the tool could not run) travel as `anyhow::Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 0.
    Clean,
    /// Exit 1: findings or failed checks.
    Findings,
}
