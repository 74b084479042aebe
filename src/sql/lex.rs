//! A small PostgreSQL lexer: enough to find statement boundaries and to read the few statements
//! sqlparser rejects. It never fails on odd input except for unterminated quotes and comments.

use super::{SplitError, SplitErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Keyword or unquoted identifier (may contain `$` after the first char).
    Word,
    /// `"quoted identifier"`.
    QuotedIdent,
    /// `'string'`, `E'string'`, `U&'...'`, `B'..'`, `X'..'`.
    String,
    /// `$$body$$` or `$tag$body$tag$`.
    DollarString,
    /// Number literal or `$1` parameter.
    Number,
    /// `-- ...` up to the end of the line (newline excluded).
    LineComment,
    /// `/* ... */`, nested.
    BlockComment,
    /// Any other single character (or `::`, `<>`, ... split char by char).
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.start..self.end]
    }

    pub fn is_comment(&self) -> bool {
        matches!(self.kind, TokenKind::LineComment | TokenKind::BlockComment)
    }

    /// A keyword or unquoted word equal to `word`, ignoring ASCII case.
    pub fn is_word(&self, sql: &str, word: &str) -> bool {
        self.kind == TokenKind::Word && self.text(sql).eq_ignore_ascii_case(word)
    }

    pub fn is_punct(&self, sql: &str, c: char) -> bool {
        self.kind == TokenKind::Punct && self.text(sql).starts_with(c)
    }
}

/// Iterator over the tokens of `sql`, whitespace skipped, comments included.
pub struct Lexer<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    pos: usize,
    failed: bool,
}

pub fn tokens(sql: &str) -> Lexer<'_> {
    Lexer {
        sql,
        bytes: sql.as_bytes(),
        pos: 0,
        failed: false,
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl<'a> Lexer<'a> {
    fn error(&mut self, kind: SplitErrorKind, offset: usize) -> SplitError {
        self.failed = true;
        SplitError::at(self.sql, kind, offset)
    }

    fn quoted(
        &mut self,
        start: usize,
        open: usize,
        quote: u8,
        backslash: bool,
    ) -> Result<usize, SplitError> {
        let mut i = open + 1;
        let b = self.bytes;
        while i < b.len() {
            let c = b[i];
            if backslash && c == b'\\' {
                i += 2;
                continue;
            }
            if c == quote {
                if b.get(i + 1) == Some(&quote) {
                    i += 2;
                    continue;
                }
                return Ok(i + 1);
            }
            i += 1;
        }
        let kind = if quote == b'"' {
            SplitErrorKind::UnterminatedQuotedIdentifier
        } else {
            SplitErrorKind::UnterminatedString
        };
        Err(self.error(kind, start))
    }

    /// `$tag$` starting at `start`, if it is one: returns the end of the opening delimiter.
    fn dollar_tag(&self, start: usize) -> Option<usize> {
        let b = self.bytes;
        let mut i = start + 1;
        if i < b.len() && b[i] == b'$' {
            return Some(i + 1);
        }
        if i >= b.len() || !is_ident_start(b[i]) {
            return None;
        }
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
            i += 1;
        }
        (i < b.len() && b[i] == b'$').then_some(i + 1)
    }

    fn block_comment(&mut self, start: usize) -> Result<usize, SplitError> {
        let b = self.bytes;
        let mut depth = 0usize;
        let mut i = start;
        while i + 1 < b.len() {
            if b[i] == b'/' && b[i + 1] == b'*' {
                depth += 1;
                i += 2;
            } else if b[i] == b'*' && b[i + 1] == b'/' {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Ok(i);
                }
            } else {
                i += 1;
            }
        }
        Err(self.error(SplitErrorKind::UnterminatedComment, start))
    }

    fn next_token(&mut self) -> Option<Result<Token, SplitError>> {
        let b = self.bytes;
        while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        if self.pos >= b.len() || self.failed {
            return None;
        }
        let start = self.pos;
        let c = b[start];
        let next = b.get(start + 1).copied();
        let result = match c {
            b'-' if next == Some(b'-') => {
                let end = memchr_newline(b, start);
                Ok((TokenKind::LineComment, end))
            }
            b'/' if next == Some(b'*') => self
                .block_comment(start)
                .map(|e| (TokenKind::BlockComment, e)),
            b'\'' => self
                .quoted(start, start, b'\'', false)
                .map(|e| (TokenKind::String, e)),
            b'"' => self
                .quoted(start, start, b'"', false)
                .map(|e| (TokenKind::QuotedIdent, e)),
            b'$' => {
                if let Some(open_end) = self.dollar_tag(start) {
                    let tag = &self.sql[start..open_end];
                    match self.sql[open_end..].find(tag) {
                        Some(rel) => Ok((TokenKind::DollarString, open_end + rel + tag.len())),
                        None => Err(self.error(SplitErrorKind::UnterminatedDollarQuote, start)),
                    }
                } else {
                    let mut i = start + 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    Ok((
                        if i > start + 1 {
                            TokenKind::Number
                        } else {
                            TokenKind::Punct
                        },
                        i.max(start + 1),
                    ))
                }
            }
            b'0'..=b'9' => {
                let mut i = start + 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                Ok((TokenKind::Number, i))
            }
            _ if is_ident_start(c) => {
                let prefix_quote = match (c, next) {
                    (b'e' | b'E', Some(b'\'')) => Some((start + 1, true)),
                    (b'b' | b'B' | b'x' | b'X' | b'n' | b'N', Some(b'\'')) => {
                        Some((start + 1, false))
                    }
                    (b'u' | b'U', Some(b'&')) if b.get(start + 2) == Some(&b'\'') => {
                        Some((start + 2, false))
                    }
                    (b'u' | b'U', Some(b'&')) if b.get(start + 2) == Some(&b'"') => {
                        let r = self.quoted(start, start + 2, b'"', false);
                        return Some(r.map(|end| {
                            self.pos = end;
                            Token {
                                kind: TokenKind::QuotedIdent,
                                start,
                                end,
                            }
                        }));
                    }
                    _ => None,
                };
                if let Some((open, backslash)) = prefix_quote {
                    self.quoted(start, open, b'\'', backslash)
                        .map(|e| (TokenKind::String, e))
                } else {
                    let mut i = start + 1;
                    while i < b.len() && is_ident_char(b[i]) {
                        i += 1;
                    }
                    Ok((TokenKind::Word, i))
                }
            }
            _ => {
                let len = self.sql[start..].chars().next().map_or(1, char::len_utf8);
                Ok((TokenKind::Punct, start + len))
            }
        };
        Some(result.map(|(kind, end)| {
            self.pos = end;
            Token { kind, start, end }
        }))
    }
}

fn memchr_newline(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

impl Iterator for Lexer<'_> {
    type Item = Result<Token, SplitError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_token()
    }
}
