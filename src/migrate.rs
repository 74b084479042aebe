//! A live database with the project's migrations applied: our own throwaway cluster, or an
//! existing database (`--db-url`) where everything happens in one transaction that is
//! rolled back.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use postgres::error::ErrorPosition;
use postgres::{Client, NoTls};

use crate::cluster::{Cluster, ClusterOptions};
use crate::project::{Project, SqlFile};
use crate::sql::split;
use crate::supabase::{self, config};
use crate::terminal::Progress;

pub struct Database {
    cluster: Option<Cluster>,
    client: Client,
    pub applied: Vec<Applied>,
    pub server_version: String,
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
    /// Also apply `supabase/seed.sql`.
    pub seed: bool,
}

/// A migration that Postgres rejected, located in its file.
#[derive(Debug, thiserror::Error)]
pub struct MigrationError {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    pub source_line: String,
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub context: Option<String>,
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}:{}: {} ({})",
            self.file.display(),
            self.line,
            self.column,
            self.message,
            self.sqlstate
        )?;
        let gutter = self.line.to_string().len();
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{} | {}", self.line, self.source_line)?;
        let caret_pad: String = self
            .source_line
            .chars()
            .take(self.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{:gutter$} | {caret_pad}^", "")?;
        for (label, value) in [
            ("detail", &self.detail),
            ("hint", &self.hint),
            ("context", &self.context),
        ] {
            if let Some(v) = value {
                write!(f, "\n{:gutter$} = {label}: {v}", "")?;
            }
        }
        Ok(())
    }
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
        })?;
        let mut admin = cluster
            .connect(supabase::SUPERUSER)
            .map_err(db("connecting to the cluster"))?;
        if let Some(sql) = config::privileges_sql(&project.api) {
            admin
                .batch_execute(sql)
                .map_err(db("applying [api] auto_expose_new_tables = false"))?;
        }
        let mut migrator = cluster
            .connect(supabase::MIGRATION_ROLE)
            .map_err(db("connecting as postgres"))?;
        let mut applied = Vec::new();
        for file in &project.migrations {
            progress.set(format!("applying {}", file.path.display()));
            applied.push(apply_file(&mut migrator, file, Wrap::Transaction)?);
        }
        if opts.seed {
            if let Some(seed) = &project.seed {
                applied.push(apply_file(&mut migrator, seed, Wrap::Transaction)?);
            }
        }
        let server_version = server_version(&mut admin);
        Ok(Database {
            cluster: Some(cluster),
            client: admin,
            applied,
            server_version,
        })
    }

    fn open_external(
        url: &str,
        project: &Project,
        opts: &OpenOptions,
        progress: &Progress,
    ) -> Result<Database, OpenError> {
        progress.set("connecting");
        let mut config: postgres::Config =
            url.parse()
                .map_err(|e: postgres::Error| OpenError::Unreachable {
                    host: redact(url),
                    reason: e.to_string(),
                })?;
        config
            .connect_timeout(Duration::from_secs(5))
            .application_name("rlsgate");
        let host = describe_host(&config);
        let mut client = config.connect(NoTls).map_err(|e| OpenError::Unreachable {
            host,
            reason: crate::probe::describe(&e),
        })?;
        client
            .batch_execute("begin")
            .map_err(db("opening the run's transaction"))?;
        let mut applied = Vec::new();
        if opts.migrate_external {
            for file in &project.migrations {
                progress.set(format!("applying {}", file.path.display()));
                applied.push(apply_file(&mut client, file, Wrap::Savepoint)?);
            }
        }
        let server_version = server_version(&mut client);
        Ok(Database {
            cluster: None,
            client,
            applied,
            server_version,
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
        self.cluster
            .as_ref()
            .map(|c| c.connect(supabase::SUPERUSER))
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

#[derive(Clone, Copy)]
enum Wrap {
    Transaction,
    Savepoint,
}

impl Wrap {
    fn open(self) -> &'static str {
        match self {
            Wrap::Transaction => "begin",
            Wrap::Savepoint => "savepoint rlsgate_migration",
        }
    }

    fn commit(self) -> &'static str {
        match self {
            Wrap::Transaction => "commit",
            Wrap::Savepoint => "release savepoint rlsgate_migration",
        }
    }

    fn rollback(self) -> &'static str {
        match self {
            Wrap::Transaction => "rollback",
            Wrap::Savepoint => "rollback to savepoint rlsgate_migration",
        }
    }
}

/// Runs one file in its own transaction, as the Supabase CLI does.
fn apply_file(client: &mut Client, file: &SqlFile, wrap: Wrap) -> Result<Applied, OpenError> {
    let started = Instant::now();
    client
        .batch_execute(wrap.open())
        .map_err(db("starting a migration"))?;
    match client.batch_execute(&file.text) {
        Ok(()) => {
            client
                .batch_execute(wrap.commit())
                .map_err(|e| locate(client, file, e, wrap))?;
            Ok(Applied {
                path: file.path.clone(),
                elapsed: started.elapsed(),
            })
        }
        Err(e) => Err(locate(client, file, e, wrap)),
    }
}

/// Points a failure at its statement: by the error's position when Postgres gives one,
/// else by replaying the file statement by statement until one fails.
fn locate(client: &mut Client, file: &SqlFile, err: postgres::Error, wrap: Wrap) -> OpenError {
    let _ = client.batch_execute(wrap.rollback());
    let Some(dberr) = err.as_db_error() else {
        return OpenError::Db {
            context: format!("applying {}", file.path.display()),
            source: err,
        };
    };
    let offset = match dberr.position() {
        Some(ErrorPosition::Original(pos)) => Some(char_to_byte(&file.text, *pos as usize)),
        _ => replay(client, file, wrap),
    };
    let offset = offset.unwrap_or(0);
    let (line, column) = split::line_col(&file.text, offset);
    let source_line = file
        .text
        .lines()
        .nth(line as usize - 1)
        .unwrap_or("")
        .to_string();
    let mut context = dberr.where_().map(str::to_string);
    if dberr.code().code() == "25001" {
        context = Some(
            "the Supabase CLI runs each migration file in one transaction, so this statement fails there too; \
             move it to a file of its own and drop CONCURRENTLY, or run it outside migrations"
                .to_string(),
        );
    }
    OpenError::Migration(Box::new(MigrationError {
        file: file.path.clone(),
        line,
        column,
        source_line,
        sqlstate: dberr.code().code().to_string(),
        message: dberr.message().to_string(),
        detail: dberr.detail().map(str::to_string),
        hint: dberr.hint().map(str::to_string),
        context,
    }))
}

/// Byte offset in the file of the statement that fails when the file is replayed one
/// statement at a time, plus the error's position inside that statement if any.
fn replay(client: &mut Client, file: &SqlFile, wrap: Wrap) -> Option<usize> {
    let statements = split::split(&file.text).ok()?;
    client.batch_execute(wrap.open()).ok()?;
    let mut found = None;
    for stmt in &statements {
        if let Err(e) = client.batch_execute(stmt.text) {
            let inner = match e.as_db_error().and_then(|d| d.position()) {
                Some(ErrorPosition::Original(pos)) => char_to_byte(stmt.text, *pos as usize),
                _ => stmt.token_start - stmt.start,
            };
            found = Some(stmt.start + inner);
            break;
        }
    }
    let _ = client.batch_execute(wrap.rollback());
    found
}

/// Postgres positions are 1-based character indexes.
fn char_to_byte(text: &str, pos: usize) -> usize {
    text.char_indices()
        .nth(pos.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(text.len())
}

fn describe_host(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}")
}

/// A URL with any password removed, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}
