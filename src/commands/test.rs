use std::io::Write;

use crate::cli::{GlobalArgs, TestArgs};
use crate::Status;

pub fn run(_global: &GlobalArgs, _args: &TestArgs, _out: &mut dyn Write) -> anyhow::Result<Status> {
    anyhow::bail!("`rlsgate test` is not built yet")
}
