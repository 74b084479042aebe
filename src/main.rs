use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use rlsgate::cli::Opts;
use rlsgate::terminal::Stdout;
use rlsgate::{commands, interrupt, Status};

fn main() -> ExitCode {
    interrupt::install();
    let opts = Opts::parse();
    rlsgate::terminal::init(&opts.global);
    let mut out = Stdout::new();
    let started = std::time::Instant::now();
    let result = commands::run(&opts, &mut out);
    rlsgate::terminal::timing("total (with teardown)", started);
    rlsgate::terminal::peak_memory();
    let _ = out.flush();
    if let Some(code) = interrupt::exit_code() {
        if code != 0 {
            if let Some(signal) = interrupt::signal() {
                rlsgate::terminal::note(&format!(
                    "interrupted by {}; stopped and cleaned up",
                    interrupt::signal_name(signal)
                ));
            }
        }
        return ExitCode::from(code);
    }
    if let Err(err) = &result {
        let mut stderr = anstream::stderr();
        let _ = writeln!(stderr, "{}", rlsgate::terminal::render_error(err));
    } else if out.is_closed() && matches!(result, Ok(Status::Clean)) {
        rlsgate::terminal::note(
            "error: stdout was closed before the report was written; exit 2, not 0",
        );
    }
    ExitCode::from(Status::exit_code(&result, !out.is_closed()))
}
