//! A migration Postgres rejected, located in its file, and where a missing object would come
//! from.

use std::fmt;
use std::path::PathBuf;

use super::journal::Journal;
use super::plan::words;
use super::OpenError;
use crate::project::SqlFile;
use crate::sql::split;
use crate::supabase::extensions;

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
    /// What the emulation did differently from Supabase before the failure (skipped
    /// extensions among them), one sentence each with file:line.
    pub warnings: Vec<String>,
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
        for w in &self.warnings {
            write!(f, "\nwarning: {w}")?;
        }
        Ok(())
    }
}

/// How a note about who provides a missing object begins.
pub(super) const ON_SUPABASE: &str = "on Supabase, ";

/// Points a failure at its statement, and says where a missing object would come from.
pub(super) fn migration_error(
    file: &SqlFile,
    offset: Option<usize>,
    err: postgres::Error,
    later: &[SqlFile],
    journal: &Journal,
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
            "the Supabase CLI runs each migration file in one transaction and only `create/drop index concurrently`, \
             `reindex concurrently`, `vacuum`, `cluster` and `alter system` outside it; with --db-url, rlsgate runs \
             everything in one transaction that is rolled back, where none of them can run"
                .to_string(),
        );
    }
    let note = if dberr.message().contains('\u{feff}') {
        Some(
            "the file holds a UTF-8 byte order mark (BOM), invisible in most editors, which Postgres \
             rejects: save the file as UTF-8 without BOM"
                .to_string(),
        )
    } else if trigger_row_outside_a_trigger(dberr.code().code(), dberr.message()) {
        Some(
            "NEW and OLD exist only inside trigger functions; in a policy, name the row's columns \
             directly (WITH CHECK sees the new row's values, USING the existing row's): this \
             statement fails on Supabase too"
                .to_string(),
        )
    } else {
        missing_object(dberr.code().code(), dberr.message())
            .map(|object| explain_missing(&object, later, journal))
    };
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
        warnings: journal.warnings.clone(),
    }))
}

/// `new.col` or `old.col` written outside a trigger function (in a policy, a view, a default).
fn trigger_row_outside_a_trigger(sqlstate: &str, message: &str) -> bool {
    sqlstate == "42P01"
        && matches!(
            message.strip_prefix("missing FROM-clause entry for table "),
            Some("\"new\"" | "\"old\"")
        )
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

fn explain_missing(object: &str, later: &[SqlFile], journal: &Journal) -> String {
    if let Some((name, at)) = extensions::extension_of(object)
        .and_then(|ext| journal.skipped.iter().find(|(name, _)| name == ext))
    {
        return format!(
            "`{object}` comes from the {name} extension, which {at} creates; this Postgres lacks it and \
             rlsgate has no stand-in for it, so it was skipped (warning below)"
        );
    }
    if let Some(provider) = extensions::provider(object) {
        return format!("{ON_SUPABASE}`{object}` comes from {provider}");
    }
    let base = object
        .rsplit('.')
        .next()
        .unwrap_or(object)
        .trim_matches('"')
        .to_ascii_lowercase();
    if let Some((file, line)) = creator(later, &base) {
        return format!(
            "Supabase does not provide `{object}`; {}:{line} creates it, but runs later (migrations apply in filename order, as with the Supabase CLI)",
            file.path.display(),
        );
    }
    if let Some((file, line)) = creator(&journal.unapplied, &base) {
        return format!(
            "Supabase does not provide `{object}`; {}:{line} creates it, but the Supabase CLI skips that file \
             (not named `<timestamp>_name.sql`, warning below): rename it to apply it",
            file.path.display(),
        );
    }
    format!(
        "Supabase does not provide `{object}` and no migration creates it: if it was made in the dashboard, \
         capture it in a migration (`supabase db diff`)"
    )
}

/// The first of `files` with a statement creating `base` (unqualified, lower case), and its line.
fn creator<'a>(files: &'a [SqlFile], base: &str) -> Option<(&'a SqlFile, u32)> {
    files.iter().find_map(|file| {
        let stmts = split::split(&file.text).ok()?;
        let stmt = stmts
            .iter()
            .find(|s| created_name(s.code()).as_deref() == Some(base))?;
        Some((file, stmt.line))
    })
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

/// On a `--db-url` database rlsgate emulates nothing: a note saying where a missing object
/// comes from on Supabase keeps that and drops what it says about rlsgate's stand-ins.
pub(super) fn about_the_real_database(error: &mut OpenError) {
    let OpenError::Migration(located) = error else {
        return;
    };
    let Some(note) = located.note.as_deref() else {
        return;
    };
    let Some(rest) = note.strip_prefix(ON_SUPABASE) else {
        return;
    };
    located.note = Some(format!(
        "this database has none; {}{}",
        ON_SUPABASE,
        without_emulation(rest)
    ));
}

/// `the pg_net extension (`create extension pg_net`; rlsgate has a stand-in)` ->
/// `the pg_net extension (`create extension pg_net`)`: the clauses about rlsgate removed.
fn without_emulation(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let Some(len) = rest[open..].find(')') else {
            break;
        };
        let group = &rest[open + 1..open + len];
        out.push_str(&rest[..open]);
        match group.find("rlsgate") {
            None => out.push_str(&rest[open..=open + len]),
            Some(at) => {
                let kept = group[..at].trim_end_matches([';', ' ']);
                if kept.is_empty() {
                    out.truncate(out.trim_end().len());
                } else {
                    out.push_str(&format!("({kept})"));
                }
            }
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
    for cut in ["; rlsgate", ", which its stand-in"] {
        if let Some(at) = out.find(cut) {
            out.truncate(at);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_about_a_real_database_say_nothing_of_stand_ins() {
        assert_eq!(
            without_emulation(
                "the pg_net extension (`create extension pg_net`; rlsgate has a stand-in)"
            ),
            "the pg_net extension (`create extension pg_net`)"
        );
        assert_eq!(
            without_emulation("the pgsodium extension (rlsgate emulates only its schema)"),
            "the pgsodium extension"
        );
        assert_eq!(
            without_emulation("the Supabase platform; rlsgate emulates the common parts of this schema, not this object (open an issue)"),
            "the Supabase platform"
        );
        assert_eq!(
            without_emulation("the pg_graphql extension, enabled on every project"),
            "the pg_graphql extension, enabled on every project"
        );
    }
}
