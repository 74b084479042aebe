//! A live database with the project's migrations applied: our own throwaway cluster, or an
//! existing database (`--db-url`) where everything happens in one transaction that is
//! rolled back.

mod apply;
mod error;
mod external;
mod journal;
mod plan;
mod rollback;
mod timeout;
mod vector_indexes;

use std::path::PathBuf;
use std::time::Duration;

use postgres::Client;

use crate::cluster::{Cluster, ClusterOptions};
use crate::project::Project;
use crate::supabase::{self, config};
use crate::terminal::Progress;

use apply::{apply_file, Wrap};
pub use error::MigrationError;
pub use external::redact;
use journal::Journal;
use plan::Emulation;

pub struct Database {
    cluster: Option<Cluster>,
    client: Client,
    /// With `--db-url`: a signal cancels the statement the connection runs.
    _cancel: Option<crate::interrupt::CancelGuard>,
    /// How long one probe statement may run (`None`: no limit).
    pub probe_timeout: Option<Duration>,
    pub applied: Vec<Applied>,
    pub server_version: String,
    /// What the emulation did differently from Supabase (stand-ins, skipped statements,
    /// files applied outside a transaction), one sentence each, with file:line.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Applied {
    pub path: PathBuf,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub db_url: Option<String>,
    pub no_cache: bool,
    /// With `db_url`: apply the migrations too (they are rolled back with everything else).
    pub migrate_external: bool,
    /// Also apply the seed files (`[db.seed] sql_paths`, default `supabase/seed.sql`), as
    /// `supabase start` does.
    pub seed: bool,
    /// How long one migration, setup or probe statement may run.
    pub timeouts: crate::timeouts::Timeouts,
}

/// A seed file failed: the note says where seeds come from and how to run without them.
fn in_a_seed(mut error: OpenError) -> OpenError {
    if let OpenError::Migration(located) = &mut error {
        let seeds =
            "this is a seed file, applied after the migrations as `supabase start` applies \
                     it (which stops on this error too); `--no-seed` skips the seed files";
        located.note = Some(match located.note.take() {
            Some(note) => format!("{note}; {seeds}"),
            None => seeds.to_string(),
        });
    }
    error
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    #[error("migration failed: {0}")]
    Migration(#[from] Box<MigrationError>),
    #[error("cannot connect to the database at {host}: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("{context}: {source}")]
    Db {
        context: String,
        source: postgres::Error,
    },
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
    #[error(
        "{file} ended rlsgate's transaction on the --db-url database (a COMMIT or ROLLBACK rlsgate could not see), \
         so what ran before it may have persisted; stopped here"
    )]
    TransactionEnded { file: String },
}

impl Database {
    pub fn open(
        project: &Project,
        opts: &OpenOptions,
        progress: &Progress,
    ) -> Result<Database, OpenError> {
        match &opts.db_url {
            Some(url) => Self::open_external(url, project, opts, progress),
            None => Self::open_embedded(project, opts, progress),
        }
    }

    fn open_embedded(
        project: &Project,
        opts: &OpenOptions,
        progress: &Progress,
    ) -> Result<Database, OpenError> {
        progress.set("starting Postgres");
        let cluster = Cluster::start(&ClusterOptions {
            no_cache: opts.no_cache,
            major_version: project.db.major_version,
        })?;
        let mut admin = cluster
            .connect(supabase::SUPERUSER)
            .map_err(db("connecting to the cluster"))?;
        admin
            .batch_execute(&config::api_settings_sql(&project.api))
            .map_err(db("setting pgrst.db_schemas"))?;
        if let Some(sql) = config::privileges_sql(&project.api) {
            admin
                .batch_execute(sql)
                .map_err(db("applying [api] auto_expose_new_tables = false"))?;
        }
        let mut migrator = cluster
            .connect(supabase::MIGRATION_ROLE)
            .map_err(db("connecting as postgres"))?;
        timeout::limit(&mut admin, &opts.timeouts)?;
        timeout::limit(&mut migrator, &opts.timeouts)?;
        let emulation = Emulation::load(&mut admin).map_err(db("listing available extensions"))?;
        let mut applied = Vec::new();
        let mut journal = Journal::new(project.notes.clone());
        journal.unapplied = project.unapplied.clone();
        journal.warnings.extend(cluster.warnings.iter().cloned());
        if let Some(wanted) = project.db.major_version {
            if cluster.bin.major() != wanted {
                journal.warnings.push(format!(
                    "supabase/config.toml: [db] major_version = {wanted}, but no Postgres {wanted} server is installed here; \
                     using Postgres {} from {} (install Postgres {wanted}, or point RLSGATE_PG_BIN at its bin directory)",
                    cluster.bin.version,
                    cluster.bin.dir.display()
                ));
            }
        }
        for (i, file) in project.migrations.iter().enumerate() {
            crate::interrupt::check()?;
            progress.set(format!("applying {}", file.path.display()));
            let later = &project.migrations[i + 1..];
            applied.push(
                apply_file(
                    &mut migrator,
                    file,
                    Wrap::Transaction,
                    Some(&emulation),
                    later,
                    &mut journal,
                )
                .map_err(timeout::located(&opts.timeouts))?,
            );
        }
        if opts.seed {
            for seed in &project.seeds {
                progress.set(format!("seeding {}", seed.path.display()));
                applied.push(
                    apply_file(
                        &mut migrator,
                        seed,
                        Wrap::Transaction,
                        Some(&emulation),
                        &[],
                        &mut journal,
                    )
                    .map_err(timeout::located(&opts.timeouts))
                    .map_err(in_a_seed)?,
                );
            }
        }
        let server_version = server_version(&mut admin);
        crate::interrupt::check()?;
        Ok(Database {
            cluster: Some(cluster),
            client: admin,
            _cancel: None,
            probe_timeout: opts.timeouts.probe,
            applied,
            server_version,
            warnings: journal.warnings,
        })
    }

    /// The main connection: the superuser of our own cluster, or the `--db-url` user inside
    /// the run's open transaction.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    pub fn is_external(&self) -> bool {
        self.cluster.is_none()
    }

    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }

    /// Another superuser connection to our own cluster (for parallel probes); `None` in
    /// `--db-url` mode, where all work stays on the one rolled-back transaction.
    pub fn extra_connection(&self) -> Option<Result<Client, postgres::Error>> {
        self.extra_config().map(|c| c.connect(postgres::NoTls))
    }

    /// How to open such connections, for threads that open their own.
    pub fn extra_config(&self) -> Option<postgres::Config> {
        self.cluster.as_ref().map(|c| c.config(supabase::SUPERUSER))
    }
}

fn db(context: &'static str) -> impl Fn(postgres::Error) -> OpenError {
    move |source| OpenError::Db {
        context: context.to_string(),
        source,
    }
}

fn server_version(client: &mut Client) -> String {
    client
        .query_one("show server_version", &[])
        .map(|r| r.get::<_, String>(0))
        .unwrap_or_default()
}
