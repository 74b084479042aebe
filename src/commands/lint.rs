use std::io::Write;

use crate::cli::{GlobalArgs, LintArgs};
use crate::Status;

pub fn run(_global: &GlobalArgs, _args: &LintArgs, _out: &mut dyn Write) -> anyhow::Result<Status> {
    anyhow::bail!("`rlsgate lint` is not built yet")
}
