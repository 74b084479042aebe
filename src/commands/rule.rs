use std::io::Write;

use crate::cli::RuleArgs;
use crate::Status;

pub fn run(_args: &RuleArgs, _out: &mut dyn Write) -> anyhow::Result<Status> {
    anyhow::bail!("`rlsgate rule` is not built yet")
}
