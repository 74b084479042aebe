use std::io::Write;

use crate::cli::{DbArgs, GlobalArgs};
use crate::Status;

pub fn run(_global: &GlobalArgs, _args: &DbArgs, _out: &mut dyn Write) -> anyhow::Result<Status> {
    anyhow::bail!("`rlsgate db` is not built yet")
}
