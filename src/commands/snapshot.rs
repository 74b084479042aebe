use std::io::Write;

use crate::cli::{GlobalArgs, SnapshotArgs};
use crate::Status;

pub fn run(
    _global: &GlobalArgs,
    _args: &SnapshotArgs,
    _out: &mut dyn Write,
) -> anyhow::Result<Status> {
    anyhow::bail!("`rlsgate snapshot` is not built yet")
}
