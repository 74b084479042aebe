//! One file per subcommand. Each writes its report to `out` and returns a [`Status`];
//! only `main.rs` turns that into an exit code.

use std::io::Write;

use crate::cli::{Command, Opts};
use crate::Status;

mod cache;
mod completions;
mod db;
mod diff;
mod export;
mod fuzz;
pub mod init;
mod lint;
mod locate;
mod man;
mod merge;
pub mod mutate;
mod outputs;
pub mod report;
mod rule;
mod snapshot;
pub mod test;

pub fn run(opts: &Opts, out: &mut dyn Write) -> anyhow::Result<Status> {
    match &opts.command {
        Command::Test(args) => test::run(&opts.global, args, out),
        Command::Lint(args) => lint::run(&opts.global, args, out),
        Command::Db(args) => db::run(&opts.global, args, out),
        Command::Init(args) => init::run(&opts.global, args, out),
        Command::Snapshot(args) => snapshot::run(&opts.global, args, out),
        Command::Rule(args) => rule::run(args, out),
        Command::Cache(args) => cache::run(args, out),
        Command::Merge(args) => merge::run(args, out),
        Command::Report(args) => report::run(&opts.global, args, out),
        Command::Diff(args) => diff::run(args, out),
        Command::Export(args) => export::run(&opts.global, args, out),
        Command::Mutate(args) => mutate::run(&opts.global, args, out),
        Command::Fuzz(args) => fuzz::run(&opts.global, args, out),
        Command::Completions(args) => completions::run(args, out),
        Command::Man(args) => man::run(args, out),
    }
}
