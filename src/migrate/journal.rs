use crate::project::SqlFile;

/// What applying the files did differently from Supabase, so far.
#[derive(Debug, Default)]
pub(super) struct Journal {
    /// One sentence each, with file:line.
    pub warnings: Vec<String>,
    /// Extensions skipped for want of a stand-in, and where (`file:line`): a later failure
    /// on one of their objects names them.
    pub skipped: Vec<(String, String)>,
    /// Files of the migrations folder the Supabase CLI skips (by name), for the same notes.
    pub unapplied: Vec<SqlFile>,
}

impl Journal {
    pub fn new(warnings: Vec<String>) -> Journal {
        Journal {
            warnings,
            ..Journal::default()
        }
    }

    pub(super) fn append(&mut self, other: &mut Journal) {
        self.warnings.append(&mut other.warnings);
        self.skipped.append(&mut other.skipped);
    }
}
