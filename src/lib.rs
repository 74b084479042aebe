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
pub mod interrupt;
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
pub mod timeouts;
pub mod verdict;

/// What a command found. Errors (the tool could not run) travel as `anyhow::Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 0.
    Clean,
    /// Exit 1: findings or failed checks.
    Findings,
}

impl Status {
    /// The one exit-code policy (signals aside: 128 + the signal, see [`interrupt`]):
    /// 0 only when the verdict is clean and the whole report was written; 1 on findings,
    /// whatever happened to stdout afterwards; 2 when the tool could not run or could not
    /// deliver a clean report.
    pub fn exit_code(result: &anyhow::Result<Status>, report_written: bool) -> u8 {
        match result {
            Ok(Status::Findings) => 1,
            Ok(Status::Clean) if report_written => 0,
            Ok(Status::Clean) | Err(_) => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn only_a_clean_verdict_fully_written_exits_0_and_findings_always_exit_1() {
        let failed: anyhow::Result<Status> = Err(anyhow::anyhow!("broken pipe"));
        assert_eq!(Status::exit_code(&Ok(Status::Clean), true), 0);
        assert_eq!(Status::exit_code(&Ok(Status::Clean), false), 2);
        assert_eq!(Status::exit_code(&Ok(Status::Findings), true), 1);
        assert_eq!(Status::exit_code(&Ok(Status::Findings), false), 1);
        assert_eq!(Status::exit_code(&failed, true), 2);
        assert_eq!(Status::exit_code(&failed, false), 2);
    }
}
