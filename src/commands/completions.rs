use std::io::Write;

use clap::CommandFactory;

use crate::cli::{CompletionsArgs, Opts};
use crate::Status;

/// The completion script of `shell` for every command, option and value.
pub fn run(args: &CompletionsArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let mut command = Opts::command();
    let name = command.get_name().to_string();
    clap_complete::generate(args.shell, &mut command, name, out);
    Ok(Status::Clean)
}
