use std::io::Write;

use crate::cli::{DbArgs, GlobalArgs};
use crate::interrupt;
use crate::migrate::{Database, OpenOptions};
use crate::project::Project;
use crate::terminal::Progress;
use crate::{supabase, Status};

pub fn run(global: &GlobalArgs, args: &DbArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let project = Project::load(&global.project)?;
    let progress = Progress::new(global.quiet);
    let opts = OpenOptions {
        db_url: global.db_url.clone(),
        no_cache: global.no_cache,
        timeouts: global.timeouts()?,
        migrate_external: args.migrate,
        seed: !args.no_seed,
    };
    let db = Database::open(&project, &opts, &progress)?;
    crate::terminal::emulation_warnings(&db.warnings);
    progress.finish();
    let Some(cluster) = db.cluster() else {
        writeln!(out, "Connected to the --db-url database; {} migration(s) applied inside a transaction that will be rolled back.", db.applied.len())?;
        writeln!(out, "Nothing persists. Press Ctrl-C to end.")?;
        out.flush()?;
        interrupt::set_exit_code(0);
        interrupt::wait_for_signal(POLL, || false)?;
        return Ok(Status::Clean);
    };
    let url = cluster.url(supabase::MIGRATION_ROLE);
    writeln!(out, "{url}")?;
    writeln!(out, "psql '{url}'")?;
    out.flush()?;
    crate::terminal::note(&format!(
        "Supabase-emulated Postgres {} with {} migration(s) applied. Connect as postgres (migrations' role), \
         supabase_admin (superuser), or `set role anon|authenticated` with\n  select set_config('request.jwt.claims', '{{\"sub\":\"...\",\"role\":\"authenticated\"}}', false);\n\
         Press Ctrl-C to stop; the database is then removed.",
        db.server_version,
        db.applied.len()
    ));
    interrupt::set_exit_code(0);
    let pid = cluster.pid().unwrap_or_default();
    interrupt::wait_for_signal(POLL, || !cluster.is_running())?;
    anyhow::bail!(
        "the database server (pid {pid}) stopped unexpectedly (killed, or out of memory); its directory was removed"
    )
}

/// How often `rlsgate db` looks at whether it should end.
const POLL: std::time::Duration = std::time::Duration::from_millis(100);
