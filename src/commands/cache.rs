use std::io::Write;

use crate::cli::CacheArgs;
use crate::Status;

pub fn run(_args: &CacheArgs, _out: &mut dyn Write) -> anyhow::Result<Status> {
    anyhow::bail!("`rlsgate cache` is not built yet")
}
