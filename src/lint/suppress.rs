//! `-- rlsgate-ignore <rule>[, <rule>]: reason` silences a rule for the statement the comment
//! precedes or sits in; `-- rlsgate-ignore-file <rule>: reason` for the whole file.

use crate::sql::lex::{tokens, TokenKind};
use crate::sql::Statement;

use super::diagnostic::Diagnostic;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub file: String,
    /// Byte range the suppression covers (the whole file for `rlsgate-ignore-file`).
    pub start: usize,
    pub end: usize,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    /// Objects the suppressed statement creates: their findings are covered wherever they
    /// point (a note on `create table` also covers the `enable row level security` later).
    pub objects: Vec<String>,
}

impl Suppression {
    pub fn covers(&self, d: &Diagnostic) -> bool {
        if !self.rules.iter().any(|r| r == d.rule || r == "all") {
            return false;
        }
        let at_statement = d.location.as_ref().is_some_and(|loc| {
            loc.file == self.file && loc.start >= self.start && loc.start <= self.end
        });
        at_statement || d.object.as_ref().is_some_and(|o| self.objects.contains(o))
    }
}

/// Parse `rlsgate-ignore` comments inside one statement's text.
pub fn collect(file: &str, stmt: &Statement<'_>, file_len: usize, out: &mut Vec<Suppression>) {
    if !stmt.text.contains("rlsgate-ignore") {
        return;
    }
    for tok in tokens(stmt.text).map_while(Result::ok) {
        if !matches!(tok.kind, TokenKind::LineComment | TokenKind::BlockComment) {
            continue;
        }
        let body = tok
            .text(stmt.text)
            .trim_start_matches("--")
            .trim_start_matches("/*")
            .trim_end_matches("*/")
            .trim();
        let (whole_file, rest) = if let Some(rest) = body.strip_prefix("rlsgate-ignore-file") {
            (true, rest)
        } else if let Some(rest) = body.strip_prefix("rlsgate-ignore") {
            (false, rest)
        } else {
            continue;
        };
        let (rules, reason) = match rest.split_once(':') {
            Some((rules, reason)) => (
                rules,
                Some(reason.trim().to_string()).filter(|r| !r.is_empty()),
            ),
            None => (rest, None),
        };
        let rules: Vec<String> = rules
            .split([',', ' '])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(String::from)
            .collect();
        let (start, end) = if whole_file {
            (0, file_len)
        } else {
            (stmt.start, stmt.end())
        };
        out.push(Suppression {
            file: file.to_string(),
            start,
            end,
            rules,
            reason,
            objects: Vec::new(),
        });
    }
}
