//! What can stop a probe pass, and a Postgres error as one line.

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{context}: {message}")]
    Db { context: String, message: String },
    /// `hint` says what to do, after the cause: the trigger's rights, or the user metadata
    /// the trigger's row needs.
    #[error("creating the auth.users row of identity `{identity}` failed: {message}\n{hint}")]
    Signup {
        identity: String,
        message: String,
        hint: String,
    },
    #[error(
        "creating the auth.users row of identity `{identity}` did not finish: {message}\n\
         A trigger on auth.users sleeps or loops. Raise the limit with --migration-timeout or \
         `[timeouts] migration` in rlsgate.toml (0 for none), or make the trigger finish."
    )]
    SignupTimedOut { identity: String, message: String },
    #[error("fixture `{label}`: {message}")]
    Fixture { label: String, message: String },
    #[error("setup SQL of identity `{identity}` failed: {message}")]
    Setup { identity: String, message: String },
    #[error(transparent)]
    Interrupted(crate::interrupt::Interrupted),
}

impl ProbeError {
    pub(crate) fn db(context: &'static str) -> impl Fn(postgres::Error) -> ProbeError {
        move |e| ProbeError::Db {
            context: context.to_string(),
            message: describe(&e),
        }
    }
}

/// A Postgres error as one line: message, detail and hint.
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!(" hint: {h}"));
            }
            s
        }
        None => e.to_string(),
    }
}
