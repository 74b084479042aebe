//! Static analysis: the migration files, in order, into a [`Model`]. sqlparser (PostgreSQL
//! dialect) reads each statement; a token reader handles what it rejects where a rule needs it
//! (ALTER TABLE ... ROW LEVEL SECURITY, GRANT/REVOKE with several grantees, ALTER DEFAULT
//! PRIVILEGES, ...). Anything neither understands becomes an `unparsed-statement` note.

mod ast;
mod ddl;
mod functions;
mod privileges;
mod signature;
mod tables;

use std::collections::{BTreeMap, HashMap};

use sqlparser::ast::{ObjectName, ObjectNamePart, Statement as Ast};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::model::{Model, Site, Unparsed};
use super::tokens::Cursor;
use crate::sql::names::{normalize_ident, QualifiedName};
use crate::sql::Statement;

/// Schemas whose tables Supabase manages; altering them from migrations is flagged.
pub const MANAGED_SCHEMAS: [&str; 2] = ["auth", "storage"];

/// Builds the model statement by statement.
pub struct Analyzer {
    pub model: Model,
    defaults: privileges::Defaults,
    dropped: BTreeMap<QualifiedName, Option<Site>>,
    /// Positions in `model.functions` by name (overloads share a name).
    fn_index: HashMap<QualifiedName, Vec<usize>>,
    /// Supabase's default privileges grant new objects in `public` to the API roles.
    pub auto_expose: bool,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

fn ident(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

fn object_name(name: &ObjectName) -> QualifiedName {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => ident(i),
            other => normalize_ident(&other.to_string()),
        })
        .collect();
    QualifiedName::from_parts(&parts).unwrap_or_else(|| QualifiedName::new("public", ""))
}

fn qualified(parts: &[String]) -> Option<QualifiedName> {
    QualifiedName::from_parts(parts)
}

/// The role name as stored: PUBLIC and unquoted names fold to lower case.
fn role_name(parts: &[String]) -> String {
    parts.last().cloned().unwrap_or_default()
}

fn strip_dollar_quotes(body: &str) -> &str {
    let body = body.trim();
    if let Some(rest) = body.strip_prefix('$') {
        if let Some(tag_end) = rest.find('$') {
            let tag = &body[..tag_end + 2];
            if body.len() >= 2 * tag.len() && body.ends_with(tag) {
                return &body[tag.len()..body.len() - tag.len()];
            }
        }
    }
    if body.len() >= 2 && body.starts_with('\'') && body.ends_with('\'') {
        return &body[1..body.len() - 1];
    }
    body
}

impl Analyzer {
    pub fn new() -> Self {
        Analyzer {
            model: Model::default(),
            defaults: privileges::Defaults::new(),
            dropped: BTreeMap::new(),
            fn_index: HashMap::new(),
            auto_expose: true,
        }
    }

    pub fn finish(self) -> Model {
        self.model
    }

    /// Analyse one statement (see [`Analyzer::prepare`] and [`Analyzer::apply`]).
    pub fn statement(&mut self, file: usize, stmt: &Statement<'_>) {
        let prepared = Self::prepare(stmt.code());
        self.apply(file, stmt, prepared);
    }

    /// The part of the analysis that needs no state: tokens, and the sqlparser AST unless the
    /// token reader handles the statement. Runs in parallel over files.
    pub fn prepare(code: &str) -> Prepared<'_> {
        let cur = Cursor::new(code);
        let parsed = (!token_only(&cur)).then(|| {
            Parser::new(&PostgreSqlDialect {})
                .try_with_sql(code)
                .and_then(|mut p| p.parse_statements())
                .map_err(|e| e.to_string())
        });
        Prepared { cur, parsed }
    }

    /// Apply a prepared statement to the model, in migration order.
    pub fn apply(&mut self, file: usize, stmt: &Statement<'_>, prepared: Prepared<'_>) {
        let code = stmt.code();
        let site = Site {
            file,
            start: stmt.token_start,
            end: stmt.end(),
        };
        let Prepared { mut cur, parsed } = prepared;
        match parsed {
            None if cur.at_word("do") => self.model.unparsed.push(Unparsed {
                site,
                what: first_words(&cur, 3),
                reason: "DO blocks run procedural code that the static linter does not follow"
                    .into(),
            }),
            None => {
                self.token_statement(&mut cur, site);
            }
            Some(Ok(asts)) => {
                for ast in &asts {
                    self.ast_statement(ast, site);
                }
            }
            Some(Err(reason)) => {
                cur.i = 0;
                if !self.fallback_statement(&mut cur, site, code) {
                    let what = first_words(&cur, 3);
                    self.model.unparsed.push(Unparsed { site, what, reason });
                }
            }
        }
    }
}

/// A statement after the stateless part of the analysis.
pub struct Prepared<'a> {
    cur: Cursor<'a>,
    /// `None` when the token reader handles the statement alone.
    parsed: Option<Result<Vec<Ast>, String>>,
}

const NO_EFFECT: [&[&str]; 26] = [
    &["alter", "type"],
    &["alter", "sequence"],
    &["alter", "schema"],
    &["alter", "domain"],
    &["alter", "extension"],
    &["create", "or", "replace", "trigger"],
    &["create", "index"],
    &["create", "unique", "index"],
    &["create", "trigger"],
    &["create", "schema"],
    &["create", "type"],
    &["create", "sequence"],
    &["create", "domain"],
    &["comment", "on"],
    &["insert", "into"],
    &["select"],
    &["set"],
    &["begin"],
    &["commit"],
    &["refresh", "materialized", "view"],
    &["alter", "publication"],
    &["create", "publication"],
    &["analyze"],
    &["vacuum"],
    &["reindex"],
    &["notify"],
];

/// Statements the token reader understands fully, so sqlparser need not run: table DDL, RLS
/// switches, grants, drops, DO blocks, and statements with no effect on what the rules read.
/// sqlparser reads the rest (policies, functions, views, extensions, anything unknown).
fn token_only(cur: &Cursor<'_>) -> bool {
    const KINDS: [&[&str]; 9] = [
        &["grant"],
        &["revoke"],
        &["do"],
        &["drop"],
        &["alter", "table"],
        &["alter", "view"],
        &["alter", "materialized", "view"],
        &["alter", "function"],
        &["alter", "default", "privileges"],
    ];
    let at = |seq: &[&str]| {
        seq.iter()
            .enumerate()
            .all(|(k, w)| cur.toks.get(k).is_some_and(|t| t.is_word(cur.sql, w)))
    };
    if KINDS.iter().chain(NO_EFFECT.iter()).any(|seq| at(seq))
        || at(&["alter", "procedure"])
        || at(&["alter", "routine"])
    {
        return true;
    }
    let word = |k: usize, w: &str| cur.toks.get(k).is_some_and(|t| t.is_word(cur.sql, w));
    if !word(0, "create") {
        return false;
    }
    let mut k = 1;
    if word(k, "or") && word(k + 1, "replace") {
        k += 2;
    }
    while ["global", "local", "temp", "temporary", "unlogged"]
        .iter()
        .any(|w| word(k, w))
    {
        k += 1;
    }
    word(k, "table") || (word(k, "foreign") && word(k + 1, "table"))
}

fn is_truthy(v: &str) -> bool {
    let v = v.trim().trim_matches('\'').to_ascii_lowercase();
    matches!(v.as_str(), "true" | "on" | "1" | "yes")
}

fn first_words(cur: &Cursor<'_>, n: usize) -> String {
    first_words_from(cur, 0, n)
}

/// The first `n` words of a statement from token `from`, a dotted name counting as one word:
/// `ALTER TYPE "public"."status"`.
fn first_words_from(cur: &Cursor<'_>, from: usize, n: usize) -> String {
    let toks = &cur.toks[from.min(cur.toks.len())..];
    let mut words: Vec<String> = Vec::new();
    let mut k = 0;
    while k < toks.len() && words.len() < n {
        let mut word = cur.text(toks[k]).to_string();
        while k + 2 < toks.len() && toks[k + 1].is_punct(cur.sql, '.') {
            word.push('.');
            word.push_str(cur.text(toks[k + 2]));
            k += 2;
        }
        words.push(word);
        k += 1;
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::signature::arg_types;
    use super::*;
    use crate::lint::model::{PolicyCommand, Privilege};
    use crate::sql::split;

    fn model(sql: &str) -> Model {
        let mut a = Analyzer::new();
        for s in split(sql).unwrap() {
            a.statement(0, &s);
        }
        a.finish()
    }

    #[test]
    fn policy_fallback_reads_what_sqlparser_rejects() {
        let m = model("create policy \"p\" on public.t as restrictive for update to anon, \"Editors\" using (a = (b)) with check (c);");
        let p = &m.policies[0];
        assert_eq!(
            (p.name.as_str(), p.permissive, p.command),
            ("p", false, PolicyCommand::Update)
        );
        assert_eq!(p.roles, ["anon", "Editors"]);
        assert_eq!(
            (p.using.as_deref(), p.with_check.as_deref()),
            (Some("a = (b)"), Some("c"))
        );
    }

    #[test]
    fn grants_and_default_privileges_follow_the_statements() {
        let m = model(
            "alter default privileges in schema public revoke all on tables from anon;\n\
             create table t (id int);\n\
             revoke select on t from authenticated;\n\
             grant select, truncate on table t to anon;",
        );
        let t = &m.relations[&QualifiedName::new("public", "t")];
        assert_eq!(t.api_roles_with(Privilege::Select), ["anon"]);
        assert_eq!(t.api_roles_with(Privilege::Insert), ["authenticated"]);
        assert!(t.truncate_granted_at.contains_key("anon"));
    }

    #[test]
    fn renames_carry_rls_state_and_policies() {
        let m = model("create table a (id int); alter table a enable row level security; create policy p on a using (true); alter table a rename to b;");
        let b = &m.relations[&QualifiedName::new("public", "b")];
        assert!(b.rls_enabled);
        assert_eq!(m.policies[0].table, b.name);
    }

    #[test]
    fn function_arguments_are_types_without_names() {
        assert_eq!(
            arg_types(
                "in p_id uuid, out x int, variadic vals text[], d double precision default 1"
            ),
            ("uuid, text[], double precision".to_string(), 3)
        );
    }
}
