use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{ManArgs, Opts};
use crate::Status;

/// `rlsgate.1` on `out`, or with `--dir` one page per command written there.
pub fn run(args: &ManArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let mut command = Opts::command();
    command.build();
    match &args.dir {
        None => clap_mangen::Man::new(command).render(out)?,
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for page in write_pages(command, dir)? {
                writeln!(out, "wrote {}", page.display())?;
            }
        }
    }
    Ok(Status::Clean)
}

/// `rlsgate.1`, then `rlsgate-<command>.1` for every subcommand, recursively.
fn write_pages(command: clap::Command, dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    let mut pending = vec![command];
    while let Some(command) = pending.pop() {
        let name = command
            .get_display_name()
            .unwrap_or(command.get_name())
            .to_string();
        let path = dir.join(format!("{name}.1"));
        let mut page = Vec::new();
        clap_mangen::Man::new(command.clone()).render(&mut page)?;
        std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
        pending.extend(
            command
                .get_subcommands()
                .filter(|c| c.get_name() != "help")
                .map(|c| c.clone().display_name(format!("{name}-{}", c.get_name()))),
        );
    }
    written.sort();
    Ok(written)
}
