use std::io::Write;

use anyhow::Context;

use crate::cli::{CacheAction, CacheArgs};
use crate::cluster::cache;
use crate::Status;

pub fn run(args: &CacheArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    match args.action {
        CacheAction::Path => writeln!(out, "{}", cache::root().display())?,
        CacheAction::Clear => {
            let root =
                cache::clear().with_context(|| format!("removing {}", cache::root().display()))?;
            writeln!(out, "removed {}", root.display())?;
        }
    }
    Ok(Status::Clean)
}
