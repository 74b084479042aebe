//! `--db-url`: an existing database, where everything happens in one transaction that is
//! rolled back.

use std::time::Duration;

use postgres::NoTls;

use super::apply::{apply_file, Wrap};
use super::journal::Journal;
use super::rollback::RunTransaction;
use super::{server_version, Database, OpenError, OpenOptions};
use crate::project::Project;
use crate::terminal::Progress;

impl Database {
    pub(super) fn open_external(
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
            reason: with_cause(&e),
        })?;
        let cancel = crate::interrupt::cancel_on_signal(client.cancel_token());
        let mut applied = Vec::new();
        let mut journal = Journal::new(if opts.migrate_external {
            project.notes.clone()
        } else {
            Vec::new()
        });
        if opts.migrate_external {
            journal.unapplied = project.unapplied.clone();
        }
        let run = RunTransaction::begin(&mut client, &project.api.schemas, &mut journal.warnings)?;
        super::timeout::limit(&mut client, &opts.timeouts)?;
        if opts.migrate_external {
            for (i, file) in project.migrations.iter().enumerate() {
                crate::interrupt::check()?;
                progress.set(format!("applying {}", file.path.display()));
                let later = &project.migrations[i + 1..];
                applied.push(
                    apply_file(
                        &mut client,
                        file,
                        Wrap::Savepoint,
                        None,
                        later,
                        &mut journal,
                    )
                    .map_err(super::timeout::located(&opts.timeouts))?,
                );
                run.check(&mut client, &file.path.display().to_string())?;
            }
        }
        let server_version = server_version(&mut client);
        crate::interrupt::check()?;
        Ok(Database {
            cluster: None,
            client,
            _cancel: Some(cancel),
            probe_timeout: opts.timeouts.probe,
            applied,
            server_version,
            warnings: journal.warnings,
        })
    }
}

/// A connection error with the operating system's cause (`Connection refused`, a failed name
/// lookup), which the error's own message leaves out.
fn with_cause(e: &postgres::Error) -> String {
    let mut text = crate::probe::describe(e);
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(&format!(": {cause_text}"));
        }
        source = cause.source();
    }
    text
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
