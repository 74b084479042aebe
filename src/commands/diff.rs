use std::io::Write;

use anyhow::Context;

use crate::cli::{DiffArgs, DiffFormat};
use crate::report::diff;
use crate::report::matrix as report;
use crate::Status;

pub fn run(args: &DiffArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let read = |path: &std::path::Path| -> anyhow::Result<report::Report> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        report::read(&text).with_context(|| {
            format!(
                "{}: expected the output of `rlsgate test --format json`",
                path.display()
            )
        })
    };
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let d = diff::diff(&old, &new);
    match args.format {
        DiffFormat::Human => diff::write_human(&d, out)?,
        DiffFormat::Markdown => diff::write_markdown(&d, out)?,
        DiffFormat::Json => diff::write_json(&d, out)?,
    }
    Ok(if d.has_widened() {
        Status::Findings
    } else {
        Status::Clean
    })
}
