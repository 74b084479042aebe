//! The statement timeout of the connections that migrate and set up: a migration, seed or
//! signup trigger that sleeps or loops stops the run with its file:line, never hangs it.

use postgres::Client;

use super::{MigrationError, OpenError};
use crate::timeouts::{self, Timeouts};

/// Sets the migration timeout on `client` (for the rest of its session, or of the run's
/// transaction with `--db-url`).
pub(super) fn limit(client: &mut Client, limits: &Timeouts) -> Result<(), OpenError> {
    client
        .batch_execute(&format!(
            "set statement_timeout = {}",
            timeouts::as_setting(limits.migration)
        ))
        .map_err(super::db("setting the migration timeout"))
}

/// A located error of a statement stopped by the migration timeout, saying so and how to
/// change the limit; other errors pass unchanged.
pub(super) fn located(limits: &Timeouts) -> impl Fn(OpenError) -> OpenError + '_ {
    move |mut error| {
        explain(&mut error, limits);
        error
    }
}

fn explain(error: &mut OpenError, limits: &Timeouts) {
    let OpenError::Migration(located) = error else {
        return;
    };
    let located: &mut MigrationError = located;
    if located.sqlstate != "57014" || !located.message.contains("statement timeout") {
        return;
    }
    let after = limits
        .migration
        .map(|d| format!(" after {}", timeouts::describe(d)))
        .unwrap_or_default();
    located.message = format!(
        "this statement was stopped{after}: it did not finish within the migration timeout"
    );
    located.note = Some(
        "raise the limit with --migration-timeout or `[timeouts] migration` in rlsgate.toml (0 for none), \
         or make the statement finish: a sleep or an endless loop in a migration, seed or trigger"
            .to_string(),
    );
}
