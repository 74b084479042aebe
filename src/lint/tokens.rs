//! A cursor over a statement's tokens (comments skipped), for the statements and clauses read
//! without sqlparser.

use crate::sql::lex::{tokens, Token, TokenKind};
use crate::sql::names::normalize_ident;

pub struct Cursor<'a> {
    pub sql: &'a str,
    pub toks: Vec<Token>,
    pub i: usize,
}

impl<'a> Cursor<'a> {
    /// Tokens of `sql`; lexing stops quietly at an unterminated construct.
    pub fn new(sql: &'a str) -> Self {
        let toks = tokens(sql)
            .map_while(Result::ok)
            .filter(|t| !t.is_comment())
            .collect();
        Cursor { sql, toks, i: 0 }
    }

    pub fn peek(&self) -> Option<Token> {
        self.toks.get(self.i).copied()
    }

    pub fn text(&self, t: Token) -> &'a str {
        t.text(self.sql)
    }

    pub fn at_word(&self, word: &str) -> bool {
        self.peek().is_some_and(|t| t.is_word(self.sql, word))
    }

    pub fn eat(&mut self, word: &str) -> bool {
        let hit = self.at_word(word);
        if hit {
            self.i += 1;
        }
        hit
    }

    /// The next tokens are `words`.
    pub fn at_seq(&self, words: &[&str]) -> bool {
        words.iter().enumerate().all(|(k, w)| {
            self.toks
                .get(self.i + k)
                .is_some_and(|t| t.is_word(self.sql, w))
        })
    }

    /// Eat all of `words` in order, or nothing.
    pub fn eat_seq(&mut self, words: &[&str]) -> bool {
        let matches = words.iter().enumerate().all(|(k, w)| {
            self.toks
                .get(self.i + k)
                .is_some_and(|t| t.is_word(self.sql, w))
        });
        if matches {
            self.i += words.len();
        }
        matches
    }

    /// `keyword` followed by the identifier `name`, bare or quoted (`set "search_path"`, as
    /// `pg_dump` writes it).
    pub fn eat_keyword_ident(&mut self, keyword: &str, name: &str) -> bool {
        let hit = self.at_word(keyword)
            && self.toks.get(self.i + 1).is_some_and(|t| {
                matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent)
                    && normalize_ident(self.text(*t)) == name
            });
        if hit {
            self.i += 2;
        }
        hit
    }

    pub fn eat_punct(&mut self, c: char) -> bool {
        let hit = self.peek().is_some_and(|t| t.is_punct(self.sql, c));
        if hit {
            self.i += 1;
        }
        hit
    }

    pub fn done(&self) -> bool {
        self.i >= self.toks.len()
    }

    /// `a.b."C"`: normalised parts and the byte range they span.
    pub fn name(&mut self) -> Option<(Vec<String>, usize, usize)> {
        let mut parts = Vec::new();
        let start = self.peek()?.start;
        let mut end;
        loop {
            let t = self.peek()?;
            match t.kind {
                TokenKind::Word | TokenKind::QuotedIdent => {
                    parts.push(normalize_ident(self.text(t)));
                    end = t.end;
                    self.i += 1;
                }
                _ => return None,
            }
            if !self.eat_punct('.') {
                break;
            }
        }
        Some((parts, start, end))
    }

    /// Comma-separated names, e.g. grantees or tables.
    pub fn name_list(&mut self) -> Vec<(Vec<String>, usize, usize)> {
        let mut names = Vec::new();
        while let Some(name) = self.name() {
            names.push(name);
            if self.at_word("with")
                || self.at_word("granted")
                || self.at_word("cascade")
                || self.at_word("restrict")
            {
                break;
            }
            if self.peek().is_some_and(|t| t.is_punct(self.sql, '(')) {
                self.skip_group();
            }
            if !self.eat_punct(',') {
                break;
            }
        }
        names
    }

    /// Skip a parenthesised group starting at the cursor; returns the inner byte range.
    pub fn skip_group(&mut self) -> Option<(usize, usize)> {
        let open = self.peek().filter(|t| t.is_punct(self.sql, '('))?;
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            self.i += 1;
            if t.is_punct(self.sql, '(') {
                depth += 1;
            } else if t.is_punct(self.sql, ')') {
                depth -= 1;
                if depth == 0 {
                    return Some((open.end, t.start));
                }
            }
        }
        Some((open.end, self.sql.len()))
    }

    /// Index of the first token at or after the cursor at paren depth 0 that is `word`.
    pub fn find_word(&self, word: &str) -> Option<usize> {
        let mut depth = 0i32;
        for (k, t) in self.toks.iter().enumerate().skip(self.i) {
            if t.is_punct(self.sql, '(') {
                depth += 1;
            } else if t.is_punct(self.sql, ')') {
                depth -= 1;
            } else if depth == 0 && t.is_word(self.sql, word) {
                return Some(k);
            }
        }
        None
    }

    /// The words `seq` appear in order, adjacent, somewhere at or after the cursor.
    pub fn find_seq(&self, seq: &[&str]) -> Option<usize> {
        (self.i..self.toks.len()).find(|&k| {
            seq.iter()
                .enumerate()
                .all(|(j, w)| self.toks.get(k + j).is_some_and(|t| t.is_word(self.sql, w)))
        })
    }
}

/// Relations read by a query: the names after FROM and JOIN (and commas in a FROM list).
pub fn referenced_relations(query: &str) -> Vec<Vec<String>> {
    let mut cur = Cursor::new(query);
    let mut names = Vec::new();
    while let Some(t) = cur.peek() {
        cur.i += 1;
        if t.is_word(query, "from") || t.is_word(query, "join") {
            loop {
                let save = cur.i;
                match cur.name() {
                    Some((parts, _, _)) if !parts.is_empty() => {
                        if !cur.peek().is_some_and(|t| t.is_punct(query, '(')) {
                            names.push(parts);
                        }
                    }
                    _ => {
                        cur.i = save;
                        break;
                    }
                }
                cur.eat("as");
                if cur.peek().is_some_and(|t| t.kind == TokenKind::Word)
                    && !is_clause_word(cur.text(cur.peek().unwrap()))
                {
                    cur.i += 1;
                }
                if !cur.eat_punct(',') {
                    break;
                }
            }
        }
    }
    names
}

fn is_clause_word(w: &str) -> bool {
    const WORDS: [&str; 16] = [
        "where", "join", "left", "right", "inner", "outer", "full", "cross", "on", "group",
        "order", "limit", "union", "having", "natural", "lateral",
    ];
    WORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_relations_in_from_and_join() {
        let q = "select * from public.a x, c join \"B\" on true left join auth.users u on u.id = x.id where exists (select 1 from d)";
        let names: Vec<String> = referenced_relations(q)
            .into_iter()
            .map(|p| p.join("."))
            .collect();
        assert_eq!(names, ["public.a", "c", "B", "auth.users", "d"]);
    }
}
