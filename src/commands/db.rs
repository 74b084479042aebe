use std::io::Write;

use crate::cli::{DbArgs, GlobalArgs};
use crate::cluster::cleanup;
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
        cleanup::set_interrupt_exit_code(0);
        wait_forever();
    };
    let url = cluster.url(supabase::MIGRATION_ROLE);
    writeln!(out, "{url}")?;
    writeln!(out, "psql '{url}'")?;
    out.flush()?;
    eprintln!(
        "Supabase-emulated Postgres {} with {} migration(s) applied. Connect as postgres (migrations' role), \
         supabase_admin (superuser), or `set role anon|authenticated` with\n  select set_config('request.jwt.claims', '{{\"sub\":\"...\",\"role\":\"authenticated\"}}', false);\n\
         Press Ctrl-C to stop; the database is then removed.",
        db.server_version,
        db.applied.len()
    );
    cleanup::set_interrupt_exit_code(0);
    let _keep = db;
    wait_forever()
}

fn wait_forever() -> ! {
    loop {
        std::thread::park();
    }
}
