//! Split a migration file into statements, keeping each statement's position in the file.
//!
//! Understands `--` and nested `/* */` comments, `''` strings, `E''` strings with backslash
//! escapes, `"quoted"` identifiers, dollar quoting (`$$`, `$tag$`) and `BEGIN ATOMIC ... END`
//! bodies, so a `;` inside any of them does not end a statement.

use std::fmt;

use super::lex::{tokens, TokenKind};

/// One statement of a file, without its trailing `;`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement<'a> {
    /// From the first non-blank character (comments before the statement included) to the last
    /// token before the `;` (or end of file).
    pub text: &'a str,
    /// Byte offset of `text` in the file.
    pub start: usize,
    /// 1-based line of the statement's first token (comments skipped).
    pub line: u32,
    /// 1-based column, in characters, of the statement's first token.
    pub column: u32,
    /// Byte offset in the file of the first token (comments skipped).
    pub token_start: usize,
}

impl<'a> Statement<'a> {
    /// The statement without the comments that precede it.
    pub fn code(&self) -> &'a str {
        &self.text[self.token_start - self.start..]
    }

    /// Byte offset just past the statement's last character.
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitErrorKind {
    UnterminatedString,
    UnterminatedQuotedIdentifier,
    UnterminatedDollarQuote,
    UnterminatedComment,
}

impl fmt::Display for SplitErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SplitErrorKind::UnterminatedString => "unterminated string literal",
            SplitErrorKind::UnterminatedQuotedIdentifier => "unterminated quoted identifier",
            SplitErrorKind::UnterminatedDollarQuote => "unterminated dollar-quoted string",
            SplitErrorKind::UnterminatedComment => "unterminated /* comment",
        })
    }
}

/// Where and why splitting stopped; positions point at the opening quote or comment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} starting at line {line}, column {column}")]
pub struct SplitError {
    pub kind: SplitErrorKind,
    pub offset: usize,
    pub line: u32,
    pub column: u32,
}

impl SplitError {
    pub(crate) fn at(sql: &str, kind: SplitErrorKind, offset: usize) -> Self {
        let (line, column) = line_col(sql, offset);
        SplitError {
            kind,
            offset,
            line,
            column,
        }
    }

    /// What closes the construct that was left open.
    pub fn expected(&self) -> &'static str {
        match self.kind {
            SplitErrorKind::UnterminatedString => "a closing `'`",
            SplitErrorKind::UnterminatedQuotedIdentifier => "a closing `\"`",
            SplitErrorKind::UnterminatedDollarQuote => "the same $tag$ that opened the body",
            SplitErrorKind::UnterminatedComment => "a closing `*/`",
        }
    }
}

/// 1-based line and column (in characters) of `byte_offset` in `sql`. Offsets past the end or
/// inside a multi-byte character are clamped to the previous character boundary.
pub fn line_col(sql: &str, byte_offset: usize) -> (u32, u32) {
    let mut offset = byte_offset.min(sql.len());
    while !sql.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &sql.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = sql[line_start..offset].chars().count() + 1;
    (saturate(line), saturate(column))
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Incremental `line_col` for increasing offsets.
pub(crate) struct Positions<'a> {
    sql: &'a str,
    offset: usize,
    line: usize,
    line_start: usize,
}

impl<'a> Positions<'a> {
    pub(crate) fn new(sql: &'a str) -> Self {
        Positions {
            sql,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    pub(crate) fn at(&mut self, offset: usize) -> (u32, u32) {
        if offset < self.offset {
            return line_col(self.sql, offset);
        }
        let bytes = &self.sql.as_bytes()[self.offset..offset];
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = offset;
        let column = self.sql[self.line_start..offset].chars().count() + 1;
        (saturate(self.line), saturate(column))
    }
}

/// Split `sql` into statements. Empty and comment-only statements are skipped.
pub fn split(sql: &str) -> Result<Vec<Statement<'_>>, SplitError> {
    let mut statements = Vec::new();
    let mut positions = Positions::new(sql);
    let mut text_start: Option<usize> = None;
    let mut first_token: Option<usize> = None;
    let mut last_end = 0;
    let mut previous_word_begin = false;
    let mut atomic_depth = 0usize;
    let mut case_depth = 0usize;

    let mut finish = |text_start: Option<usize>, first_token: Option<usize>, end: usize| {
        if let (Some(start), Some(token_start)) = (text_start, first_token) {
            let (line, column) = positions.at(token_start);
            statements.push(Statement {
                text: &sql[start..end],
                start,
                line,
                column,
                token_start,
            });
        }
    };

    for token in tokens(sql) {
        let token = token?;
        if token.kind == TokenKind::Punct
            && &sql[token.start..token.end] == ";"
            && atomic_depth == 0
        {
            finish(text_start.take(), first_token.take(), last_end);
            previous_word_begin = false;
            continue;
        }
        text_start.get_or_insert(token.start);
        if token.is_comment() {
            continue;
        }
        first_token.get_or_insert(token.start);
        last_end = token.end;
        if token.kind == TokenKind::Word {
            let word = &sql[token.start..token.end];
            if word.eq_ignore_ascii_case("atomic") && previous_word_begin {
                atomic_depth += 1;
            } else if atomic_depth > 0 && word.eq_ignore_ascii_case("case") {
                case_depth += 1;
            } else if atomic_depth > 0 && word.eq_ignore_ascii_case("end") {
                if case_depth > 0 {
                    case_depth -= 1;
                } else {
                    atomic_depth -= 1;
                }
            }
            previous_word_begin = word.eq_ignore_ascii_case("begin");
        } else {
            previous_word_begin = false;
        }
    }
    finish(text_start, first_token, last_end);
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split(sql).unwrap().into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn splits_on_semicolons_and_drops_them() {
        assert_eq!(
            texts("select 1; select 2;\nselect 3"),
            ["select 1", "select 2", "select 3"]
        );
    }

    #[test]
    fn skips_empty_and_comment_only_statements() {
        assert_eq!(
            texts(";;  ; -- nothing\n/* still nothing */;\n"),
            Vec::<&str>::new()
        );
        assert_eq!(texts("select 1;\n-- trailing comment\n"), ["select 1"]);
    }

    #[test]
    fn leading_comments_stay_in_text_but_position_is_first_token() {
        let sql = "select 1;\n-- rlsgate-ignore rls-disabled: reason\n  create table t ();";
        let stmts = split(sql).unwrap();
        assert_eq!(
            stmts[1].text,
            "-- rlsgate-ignore rls-disabled: reason\n  create table t ()"
        );
        assert_eq!(stmts[1].start, sql.find("--").unwrap());
        assert_eq!((stmts[1].line, stmts[1].column), (3, 3));
        assert_eq!(stmts[1].code(), "create table t ()");
        assert_eq!(
            &sql[stmts[1].token_start..stmts[1].end()],
            "create table t ()"
        );
    }

    #[test]
    fn semicolons_inside_comments_strings_and_identifiers_do_not_split() {
        let sql =
            "select ';', \"a;b\", 'it''s;' -- x; y\n/* a; /* nested; */ b; */ from t; select 2";
        assert_eq!(texts(sql).len(), 2);
        assert!(texts(sql)[0].ends_with("from t"));
    }

    #[test]
    fn escape_strings_honour_backslashes() {
        assert_eq!(
            texts(r"select E'a\';b'; select 2"),
            [r"select E'a\';b'", "select 2"]
        );
        assert_eq!(
            texts(r"select 'a\'; select 2"),
            [r"select 'a\'", "select 2"]
        );
    }

    #[test]
    fn dollar_quotes_with_and_without_tags() {
        let sql = "create function f() returns int as $$ select 1; $$ language sql;\n\
                   create function g() returns int as $body$ begin return 1; end $body$ language plpgsql;\n\
                   do $x$ begin execute 'a$$;'; end $x$;";
        let t = texts(sql);
        assert_eq!(t.len(), 3);
        assert!(t[1].ends_with("language plpgsql"));
        assert!(t[2].starts_with("do $x$"));
    }

    #[test]
    fn dollar_parameters_and_identifiers_with_dollars_are_not_quotes() {
        assert_eq!(
            texts("select $1; select a$b$ from t; select 3"),
            ["select $1", "select a$b$ from t", "select 3"]
        );
    }

    #[test]
    fn begin_atomic_bodies_are_one_statement() {
        let sql = "create function f() returns int language sql begin atomic select 1; select case when true then 2 end; end; select 3";
        let t = texts(sql);
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(t[0].ends_with("end; end"));
        assert_eq!(texts("begin; select 1; end;"), ["begin", "select 1", "end"]);
    }

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let sql = "-- é\n  select 'é'; select 2;\n\n   select 3";
        let stmts = split(sql).unwrap();
        assert_eq!((stmts[0].line, stmts[0].column), (2, 3));
        assert_eq!((stmts[1].line, stmts[1].column), (2, 15));
        assert_eq!((stmts[2].line, stmts[2].column), (4, 4));
        assert_eq!(line_col(sql, 0), (1, 1));
        assert_eq!(line_col(sql, sql.len() + 10), (4, 12));
        assert_eq!(line_col("é", 1), (1, 1));
    }

    #[test]
    fn unterminated_constructs_report_where_they_start() {
        let cases = [
            (
                "select 1;\nselect 'abc",
                SplitErrorKind::UnterminatedString,
                (2, 8),
            ),
            (
                "select \"abc",
                SplitErrorKind::UnterminatedQuotedIdentifier,
                (1, 8),
            ),
            (
                "select 1;\n  do $body$ begin end $bod$;",
                SplitErrorKind::UnterminatedDollarQuote,
                (2, 6),
            ),
            (
                "/* a /* b */ select 1",
                SplitErrorKind::UnterminatedComment,
                (1, 1),
            ),
            (
                r"select E'abc\'",
                SplitErrorKind::UnterminatedString,
                (1, 8),
            ),
        ];
        for (sql, kind, (line, column)) in cases {
            let err = split(sql).unwrap_err();
            assert_eq!(
                (err.kind, err.line, err.column),
                (kind, line, column),
                "{sql}"
            );
            assert_eq!(line_col(sql, err.offset), (line, column));
        }
    }

    #[test]
    fn error_message_names_the_construct_and_position() {
        let err = split("select $$ x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unterminated dollar-quoted string starting at line 1, column 8"
        );
    }

    #[test]
    fn statement_offsets_index_the_file() {
        let sql = "create table a (id int);\n\ncreate table b (id int) ;";
        for s in split(sql).unwrap() {
            assert_eq!(&sql[s.start..s.end()], s.text);
        }
        assert_eq!(texts(sql)[1], "create table b (id int)");
    }
}
