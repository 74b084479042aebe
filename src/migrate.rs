//! A live database with the project's migrations applied: our own throwaway cluster, or an
//! existing database (`--db-url`) where everything happens in one transaction that is
//! rolled back.

mod vector_indexes;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use postgres::error::ErrorPosition;
use postgres::{Client, NoTls};

use crate::cluster::{Cluster, ClusterOptions};
use crate::project::{Project, SqlFile};
use crate::sql::split;
use crate::supabase::extensions::{self, StandIn};
use crate::supabase::{self, config};
use crate::terminal::Progress;

pub struct Database {
    cluster: Option<Cluster>,
    client: Client,
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
    /// For a missing object: whether Supabase provides it, or which later file creates it.
    pub note: Option<String>,
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
            ("note", &self.note),
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
        let emulation = Emulation::load(&mut admin).map_err(db("listing available extensions"))?;
        let mut applied = Vec::new();
        let mut warnings = Vec::new();
        for (i, file) in project.migrations.iter().enumerate() {
            progress.set(format!("applying {}", file.path.display()));
            let later = &project.migrations[i + 1..];
            applied.push(apply_file(
                &mut migrator,
                file,
                Wrap::Transaction,
                Some(&emulation),
                later,
                &mut warnings,
            )?);
        }
        if opts.seed {
            if let Some(seed) = &project.seed {
                applied.push(apply_file(
                    &mut migrator,
                    seed,
                    Wrap::Transaction,
                    Some(&emulation),
                    &[],
                    &mut warnings,
                )?);
            }
        }
        let server_version = server_version(&mut admin);
        Ok(Database {
            cluster: Some(cluster),
            client: admin,
            applied,
            server_version,
            warnings,
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
        let mut warnings = Vec::new();
        if opts.migrate_external {
            for (i, file) in project.migrations.iter().enumerate() {
                progress.set(format!("applying {}", file.path.display()));
                let later = &project.migrations[i + 1..];
                applied.push(apply_file(
                    &mut client,
                    file,
                    Wrap::Savepoint,
                    None,
                    later,
                    &mut warnings,
                )?);
            }
        }
        let server_version = server_version(&mut client);
        Ok(Database {
            cluster: None,
            client,
            applied,
            server_version,
            warnings,
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

/// What the migrator knows about this cluster: which extensions it can really create.
struct Emulation {
    available: std::collections::HashSet<String>,
}

impl Emulation {
    fn load(client: &mut Client) -> Result<Emulation, postgres::Error> {
        let rows = client.query("select name from pg_available_extensions", &[])?;
        Ok(Emulation {
            available: rows.iter().map(|r| r.get::<_, String>(0)).collect(),
        })
    }
}

/// How one statement of a migration is carried out.
enum Step<'a> {
    /// A run of ordinary SQL: the file's bytes `start..end`.
    Sql { start: usize, end: usize },
    /// `create/alter/drop extension` run as the superuser, as Supabase's supautils does.
    Privileged(split::Statement<'a>),
    /// `create extension` of an extension this Postgres lacks, replaced by a stand-in.
    StandIn {
        stmt: split::Statement<'a>,
        standin: &'static StandIn,
        schema: Option<String>,
    },
    /// Not run, with the reason (reported as a warning).
    Skip {
        stmt: split::Statement<'a>,
        why: String,
    },
    /// Run as `code` instead, with the reasons (reported as warnings).
    Rewritten {
        stmt: split::Statement<'a>,
        code: String,
        why: Vec<String>,
    },
}

/// Lower-cased words of a statement, quotes removed, `(` split off.
fn words(code: &str) -> Vec<String> {
    code.split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('"').to_ascii_lowercase())
        .collect()
}

fn classify<'a>(stmt: split::Statement<'a>, emu: &Emulation) -> Option<Step<'a>> {
    let w = words(stmt.code());
    let at = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    match (at(0), at(1)) {
        ("create", "extension") => {
            let mut i = 2;
            if at(i) == "if" {
                i += 3;
            }
            let name = at(i).to_string();
            let schema = w
                .iter()
                .position(|x| x == "schema")
                .and_then(|p| w.get(p + 1))
                .cloned();
            if emu.available.contains(&name) {
                Some(Step::Privileged(stmt))
            } else if let Some(standin) = extensions::standin(&name) {
                Some(Step::StandIn {
                    stmt,
                    standin,
                    schema,
                })
            } else {
                Some(Step::Skip {
                    stmt,
                    why: format!(
                        "extension {name} is not available in this Postgres and rlsgate has no stand-in for it: \
                         skipped, so the objects it would create are missing"
                    ),
                })
            }
        }
        ("alter" | "drop", "extension") | ("comment", "on") => {
            if (at(0), at(1), at(2)) == ("comment", "on", "extension") {
                let name = at(3);
                return (!emu.available.contains(name)).then(|| Step::Skip {
                    stmt,
                    why: format!(
                        "comment on extension {name}, which is emulated by a stand-in: skipped"
                    ),
                });
            }
            if at(0) == "comment" {
                return None;
            }
            let names: Vec<&str> = w[2..]
                .iter()
                .map(String::as_str)
                .filter(|x| !matches!(*x, "if" | "exists" | "cascade" | "restrict"))
                .take_while(|x| at(0) == "drop" || !x.is_empty())
                .collect();
            let names: Vec<&str> = if at(0) == "alter" {
                names.into_iter().take(1).collect()
            } else {
                names
                    .iter()
                    .flat_map(|n| n.split(','))
                    .filter(|n| !n.is_empty())
                    .collect()
            };
            match names.iter().find(|n| !emu.available.contains(**n)) {
                Some(n) => Some(Step::Skip {
                    stmt,
                    why: format!(
                        "{} extension {n}: it is emulated by a stand-in (or missing), skipped",
                        at(0)
                    ),
                }),
                None => Some(Step::Privileged(stmt)),
            }
        }
        ("do", _) if !emu.available.contains("vector") => {
            let (code, removed) = vector_indexes::without_vector_indexes(stmt.code())?;
            let why = removed
                .into_iter()
                .map(|(method, name)| {
                    format!(
                        "{method} index {name} (in a DO block) skipped: the vector stand-in has no index methods (indexes do not change access)"
                    )
                })
                .collect();
            Some(Step::Rewritten { stmt, code, why })
        }
        ("create", _) if !emu.available.contains("vector") => {
            let using = w.iter().position(|x| x == "using")?;
            let method = w.get(using + 1)?;
            let is_index = w.iter().take(using).any(|x| x == "index");
            (is_index && (method == "hnsw" || method == "ivfflat")).then(|| Step::Skip {
                stmt,
                why: format!(
                    "{method} index skipped: the vector stand-in has no index methods (indexes do not change access)"
                ),
            })
        }
        _ => None,
    }
}

/// The file as steps: ordinary SQL runs in as few round trips as possible; extension
/// statements (and vector indexes without pgvector) are singled out.
fn plan<'a>(
    file: &'a SqlFile,
    stmts: &[split::Statement<'a>],
    emu: Option<&Emulation>,
) -> Vec<Step<'a>> {
    let text = &file.text;
    let mut steps = Vec::new();
    let mut cursor = 0;
    if let Some(emu) = emu {
        for stmt in stmts {
            if let Some(step) = classify(*stmt, emu) {
                if text[cursor..stmt.start].trim().is_empty() {
                    // nothing between the previous special statement and this one
                } else {
                    steps.push(Step::Sql {
                        start: cursor,
                        end: stmt.start,
                    });
                }
                steps.push(step);
                cursor = stmt.end();
                if text[cursor..].starts_with(';') {
                    cursor += 1;
                }
            }
        }
    }
    if !text[cursor..].trim().is_empty() || steps.is_empty() {
        steps.push(Step::Sql {
            start: cursor,
            end: text.len(),
        });
    }
    steps
}

/// A failing statement: the error and its byte offset in the file, when known.
struct Failure {
    offset: Option<usize>,
    error: postgres::Error,
}

#[derive(Clone, Copy, PartialEq)]
enum Granularity {
    /// Each `Sql` step in one round trip.
    Batch,
    /// Statement by statement, to find the failing one (or to run outside a transaction).
    OneByOne,
}

fn at_stmt(stmt: &split::Statement<'_>) -> impl Fn(postgres::Error) -> Failure {
    let offset = stmt.token_start;
    move |error| Failure {
        offset: Some(offset),
        error,
    }
}

/// A failure of `chunk` (at byte `base` of the file), placed by the error's position.
fn located(base: usize, chunk: &str) -> impl Fn(postgres::Error) -> Failure + '_ {
    move |error| {
        let offset = match error.as_db_error().and_then(|d| d.position()) {
            Some(ErrorPosition::Original(pos)) => Some(base + char_to_byte(chunk, *pos as usize)),
            _ => None,
        };
        Failure { offset, error }
    }
}

fn run_steps(
    client: &mut Client,
    file: &SqlFile,
    stmts: &[split::Statement<'_>],
    steps: &[Step<'_>],
    granularity: Granularity,
    warnings: &mut Vec<String>,
) -> Result<(), Failure> {
    let text = &file.text;
    for step in steps {
        match step {
            Step::Sql { start, end } => {
                if granularity == Granularity::Batch || stmts.is_empty() {
                    let chunk = &text[*start..*end];
                    client
                        .batch_execute(chunk)
                        .map_err(located(*start, chunk))?;
                } else {
                    for stmt in stmts.iter().filter(|s| s.start >= *start && s.start < *end) {
                        client.batch_execute(stmt.text).map_err(|e| {
                            let mut f = located(stmt.start, stmt.text)(e);
                            f.offset = f.offset.or(Some(stmt.token_start));
                            f
                        })?;
                    }
                }
            }
            Step::Privileged(stmt) => {
                client
                    .execute(
                        "select _rlsgate.privileged($1, current_setting('search_path'))",
                        &[&stmt.code()],
                    )
                    .map_err(at_stmt(stmt))?;
            }
            Step::StandIn {
                stmt,
                standin,
                schema,
            } => {
                let installed = client
                    .query_opt(
                        "select schema from _rlsgate.standins where name = $1",
                        &[&standin.name],
                    )
                    .map_err(at_stmt(stmt))?;
                if installed.is_some() {
                    continue;
                }
                let schema = match standin.schema(schema.as_deref()) {
                    Some(s) => s.to_string(),
                    None => client
                        .query_one("select coalesce(current_schema(), 'public')", &[])
                        .map_err(at_stmt(stmt))?
                        .get(0),
                };
                let mut script = standin.script(&schema);
                script.push_str(&format!(
                    "\ninsert into _rlsgate.standins values ('{}', '{}');",
                    standin.name,
                    schema.replace('\'', "''")
                ));
                client
                    .execute(
                        "select _rlsgate.privileged($1, current_setting('search_path'))",
                        &[&script],
                    )
                    .map_err(at_stmt(stmt))?;
                warnings.push(format!(
                    "{}:{}: extension {} is not available in this Postgres; using rlsgate's stand-in in schema {schema} ({})",
                    file.path.display(),
                    stmt.line,
                    standin.name,
                    standin.limits
                ));
            }
            Step::Skip { stmt, why } => {
                warnings.push(format!("{}:{}: {why}", file.path.display(), stmt.line));
            }
            Step::Rewritten { stmt, code, why } => {
                client.batch_execute(code).map_err(at_stmt(stmt))?;
                for why in why {
                    warnings.push(format!("{}:{}: {why}", file.path.display(), stmt.line));
                }
            }
        }
    }
    Ok(())
}

/// Errors that only happen because the file runs in one transaction and that the file's
/// author cannot have meant: a new enum value used in the file that adds it. (CREATE INDEX
/// CONCURRENTLY stays an error: it never runs in a Supabase migration.)
fn transaction_only(err: &postgres::Error) -> bool {
    matches!(err.as_db_error().map(|d| d.code().code()), Some("55P04"))
}

/// Runs one file in its own transaction, as the Supabase CLI does. A file that fails only
/// because of that transaction (a new enum value used in the file that adds it) is applied
/// statement by statement instead, with a warning.
fn apply_file(
    client: &mut Client,
    file: &SqlFile,
    wrap: Wrap,
    emulation: Option<&Emulation>,
    later: &[SqlFile],
    warnings: &mut Vec<String>,
) -> Result<Applied, OpenError> {
    let started = Instant::now();
    let stmts = split::split(&file.text).unwrap_or_default();
    let steps = plan(file, &stmts, emulation);
    let mut notes = Vec::new();
    client
        .batch_execute(wrap.open())
        .map_err(db("starting a migration"))?;
    let outcome =
        run_steps(client, file, &stmts, &steps, Granularity::Batch, &mut notes).and_then(|()| {
            client
                .batch_execute(wrap.commit())
                .map_err(|error| Failure {
                    offset: None,
                    error,
                })
        });
    let failure = match outcome {
        Ok(()) => {
            warnings.append(&mut notes);
            return Ok(Applied {
                path: file.path.clone(),
                elapsed: started.elapsed(),
            });
        }
        Err(f) => f,
    };
    let _ = client.batch_execute(wrap.rollback());
    let offset = failure.offset.or_else(|| {
        client.batch_execute(wrap.open()).ok()?;
        let found = run_steps(
            client,
            file,
            &stmts,
            &steps,
            Granularity::OneByOne,
            &mut Vec::new(),
        )
        .err()
        .and_then(|f| f.offset);
        let _ = client.batch_execute(wrap.rollback());
        found
    });
    if emulation.is_some() && transaction_only(&failure.error) {
        let mut notes = Vec::new();
        if run_steps(
            client,
            file,
            &stmts,
            &steps,
            Granularity::OneByOne,
            &mut notes,
        )
        .is_ok()
        {
            let (line, _) = split::line_col(&file.text, offset.unwrap_or(0));
            let message = failure
                .error
                .as_db_error()
                .map(|d| d.message().to_string())
                .unwrap_or_default();
            warnings.push(format!(
                "{}:{line}: applied statement by statement, outside a transaction: the Supabase CLI runs each \
                 migration file in one transaction, where this file fails ({message}); split it into separate files",
                file.path.display()
            ));
            warnings.append(&mut notes);
            return Ok(Applied {
                path: file.path.clone(),
                elapsed: started.elapsed(),
            });
        }
    }
    Err(migration_error(file, offset, failure.error, later))
}

/// Points a failure at its statement, and says where a missing object would come from.
fn migration_error(
    file: &SqlFile,
    offset: Option<usize>,
    err: postgres::Error,
    later: &[SqlFile],
) -> OpenError {
    let Some(dberr) = err.as_db_error() else {
        return OpenError::Db {
            context: format!("applying {}", file.path.display()),
            source: err,
        };
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
    let note = missing_object(dberr.code().code(), dberr.message())
        .map(|object| explain_missing(&object, later));
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
        note,
    }))
}

/// The object an "does not exist" error is about, as Postgres names it.
fn missing_object(sqlstate: &str, message: &str) -> Option<String> {
    if !matches!(sqlstate, "42P01" | "42883" | "42704" | "3F000" | "42P38") {
        return None;
    }
    if let Some(rest) = message.strip_prefix("function ") {
        return Some(rest.split('(').next().unwrap_or(rest).trim().to_string());
    }
    let start = message.find('"')? + 1;
    let len = message[start..].find('"')?;
    Some(message[start..start + len].to_string())
}

fn explain_missing(object: &str, later: &[SqlFile]) -> String {
    if let Some(provider) = extensions::provider(object) {
        return format!("on Supabase, `{object}` comes from {provider}");
    }
    let base = object
        .rsplit('.')
        .next()
        .unwrap_or(object)
        .trim_matches('"')
        .to_ascii_lowercase();
    for file in later {
        let Ok(stmts) = split::split(&file.text) else {
            continue;
        };
        if let Some(stmt) = stmts
            .iter()
            .find(|s| created_name(s.code()).as_deref() == Some(&base))
        {
            return format!(
                "Supabase does not provide `{object}`; {}:{} creates it, but runs later (migrations apply in filename order, as with the Supabase CLI)",
                file.path.display(),
                stmt.line
            );
        }
    }
    format!(
        "Supabase does not provide `{object}` and no migration creates it: if it was made in the dashboard, \
         capture it in a migration (`supabase db diff`)"
    )
}

/// The unqualified name a `create table|view|function|type|schema|...` statement creates.
fn created_name(code: &str) -> Option<String> {
    let w = words(code);
    let mut it = w.iter().map(String::as_str).peekable();
    if it.next()? != "create" {
        return None;
    }
    while matches!(
        it.peek(),
        Some(
            &("or" | "replace" | "unlogged" | "temporary" | "temp" | "materialized" | "recursive")
        )
    ) {
        it.next();
    }
    if !matches!(
        it.next()?,
        "table" | "view" | "function" | "type" | "schema" | "sequence" | "procedure" | "domain"
    ) {
        return None;
    }
    let mut name = it.next()?;
    if name == "if" {
        it.next();
        it.next();
        name = it.next()?;
    }
    Some(name.rsplit('.').next()?.trim_matches('"').to_string())
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
