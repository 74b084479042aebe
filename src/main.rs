use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use rlsgate::cli::Opts;
use rlsgate::{commands, Status};

fn main() -> ExitCode {
    let opts = Opts::parse();
    rlsgate::terminal::init(&opts.global);
    rlsgate::cluster::cleanup::install_signal_handlers();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let started = std::time::Instant::now();
    let result = commands::run(&opts, &mut out);
    rlsgate::terminal::timing("total (with teardown)", started);
    rlsgate::terminal::peak_memory();
    let flushed = out.flush();
    match result {
        Ok(Status::Clean) => ExitCode::SUCCESS,
        Ok(Status::Findings) => ExitCode::from(1),
        Err(err)
            if is_broken_pipe(&err)
                || flushed
                    .as_ref()
                    .is_err_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            let mut stderr = anstream::stderr();
            let _ = writeln!(stderr, "{}", rlsgate::terminal::render_error(&err));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
