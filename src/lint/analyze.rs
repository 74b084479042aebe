//! Static analysis: the migration files, in order, into a [`Model`]. sqlparser (PostgreSQL
//! dialect) reads each statement; a token reader handles what it rejects where a rule needs it
//! (ALTER TABLE ... ROW LEVEL SECURITY, GRANT/REVOKE with several grantees, ALTER DEFAULT
//! PRIVILEGES, ...). Anything neither understands becomes an `unparsed-statement` note.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlparser::ast::{
    CreateFunctionBody, CreatePolicyCommand, CreatePolicyType, CreateTableOptions, Expr,
    FunctionSecurity, ObjectName, ObjectNamePart, Owner, SqlOption, Statement as Ast,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::model::{
    Extension, Function, ManagedAlteration, Model, Policy, PolicyCommand, Privilege, RelKind,
    Relation, Site, Unparsed,
};
use super::tokens::{referenced_relations, Cursor};
use crate::sql::lex::TokenKind;
use crate::sql::names::{normalize_ident, QualifiedName};
use crate::sql::Statement;

/// Schemas whose tables Supabase manages; altering them from migrations is flagged.
pub const MANAGED_SCHEMAS: [&str; 2] = ["auth", "storage"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ObjectClass {
    Tables,
    Functions,
}

/// Default privileges: per (schema or `*`, class), roles granted or revoked.
type Defaults = BTreeMap<(String, ObjectClass), BTreeMap<String, (BTreeSet<Privilege>, bool)>>;

/// Builds the model statement by statement.
pub struct Analyzer {
    pub model: Model,
    defaults: Defaults,
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
            defaults: Defaults::new(),
            dropped: BTreeMap::new(),
            fn_index: HashMap::new(),
            auto_expose: true,
        }
    }

    pub fn finish(self) -> Model {
        self.model
    }

    /// Privileges a new object of `class` in `schema` starts with, per role: Postgres gives
    /// EXECUTE on functions to PUBLIC; Supabase's default privileges grant tables and functions
    /// in `public` to anon and authenticated; ALTER DEFAULT PRIVILEGES adjusts both.
    fn initial_privileges(
        &self,
        schema: &str,
        class: ObjectClass,
    ) -> BTreeMap<String, BTreeSet<Privilege>> {
        let mut roles: BTreeMap<String, BTreeSet<Privilege>> = BTreeMap::new();
        let all: BTreeSet<Privilege> = Privilege::TABLE_ALL.into_iter().collect();
        if class == ObjectClass::Functions {
            roles.insert("public".into(), BTreeSet::from([Privilege::Select]));
        }
        if schema == "public" && self.auto_expose {
            for role in ["anon", "authenticated", "service_role"] {
                let privs = match class {
                    ObjectClass::Tables => all.clone(),
                    ObjectClass::Functions => BTreeSet::from([Privilege::Select]),
                };
                roles.insert(role.into(), privs);
            }
        }
        for key in [("*".to_string(), class), (schema.to_string(), class)] {
            if let Some(changes) = self.defaults.get(&key) {
                for (role, (privs, grant)) in changes {
                    let entry = roles.entry(role.clone()).or_default();
                    if *grant {
                        entry.extend(privs.iter().copied());
                    } else {
                        entry.retain(|p| !privs.contains(p));
                    }
                }
            }
        }
        roles.retain(|_, p| !p.is_empty());
        roles
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

    fn ast_statement(&mut self, ast: &Ast, site: Site) {
        match ast {
            Ast::CreatePolicy(p) => {
                let table = object_name(&p.table_name);
                let roles = match &p.to {
                    Some(owners) if !owners.is_empty() => owners
                        .iter()
                        .map(|o| match o {
                            Owner::Ident(i) => ident(i),
                            other => other.to_string().to_lowercase(),
                        })
                        .collect(),
                    _ => vec!["public".to_string()],
                };
                let command = match p.command {
                    None | Some(CreatePolicyCommand::All) => PolicyCommand::All,
                    Some(CreatePolicyCommand::Select) => PolicyCommand::Select,
                    Some(CreatePolicyCommand::Insert) => PolicyCommand::Insert,
                    Some(CreatePolicyCommand::Update) => PolicyCommand::Update,
                    Some(CreatePolicyCommand::Delete) => PolicyCommand::Delete,
                };
                self.touch(&table, site);
                self.model.policies.push(Policy {
                    table,
                    name: ident(&p.name),
                    permissive: !matches!(p.policy_type, Some(CreatePolicyType::Restrictive)),
                    command,
                    roles,
                    using: p.using.as_ref().map(Expr::to_string),
                    with_check: p.with_check.as_ref().map(Expr::to_string),
                    site: Some(site),
                });
            }
            Ast::AlterPolicy(p) => {
                let table = object_name(&p.table_name);
                let name = ident(&p.name);
                let Some(policy) = self
                    .model
                    .policies
                    .iter_mut()
                    .find(|q| q.table == table && q.name == name)
                else {
                    return;
                };
                policy.site = Some(site);
                match &p.operation {
                    sqlparser::ast::AlterPolicyOperation::Rename { new_name } => {
                        policy.name = ident(new_name)
                    }
                    sqlparser::ast::AlterPolicyOperation::Apply {
                        to,
                        using,
                        with_check,
                    } => {
                        if let Some(to) = to {
                            policy.roles = to
                                .iter()
                                .map(|o| match o {
                                    Owner::Ident(i) => ident(i),
                                    other => other.to_string().to_lowercase(),
                                })
                                .collect();
                        }
                        if let Some(u) = using {
                            policy.using = Some(u.to_string());
                        }
                        if let Some(w) = with_check {
                            policy.with_check = Some(w.to_string());
                        }
                    }
                }
            }
            Ast::DropPolicy(p) => {
                let table = object_name(&p.table_name);
                let name = ident(&p.name);
                self.model
                    .policies
                    .retain(|q| !(q.table == table && q.name == name));
            }
            Ast::CreateFunction(f) => {
                let name = object_name(&f.name);
                let args: Vec<_> = f.args.iter().flatten().collect();
                let in_args: Vec<String> = args
                    .iter()
                    .filter(|a| !matches!(a.mode, Some(sqlparser::ast::ArgMode::Out)))
                    .map(|a| a.data_type.to_string().to_lowercase())
                    .collect();
                let body = match &f.function_body {
                    Some(CreateFunctionBody::AsBeforeOptions { body, .. })
                    | Some(CreateFunctionBody::AsAfterOptions(body)) => {
                        strip_dollar_quotes(&body.to_string()).to_string()
                    }
                    Some(_) => String::new(),
                    None => String::new(),
                };
                let returns_trigger = f.return_type.as_ref().is_some_and(|r| {
                    let r = r.to_string().to_ascii_lowercase();
                    r == "trigger" || r == "event_trigger"
                });
                let function = Function {
                    args: in_args.join(", "),
                    arity: in_args.len(),
                    security_definer: matches!(f.security, Some(FunctionSecurity::Definer)),
                    search_path_set: f
                        .set_params
                        .iter()
                        .any(|p| p.name.to_string().eq_ignore_ascii_case("search_path")),
                    language: f
                        .language
                        .as_ref()
                        .map(ident)
                        .unwrap_or_else(|| "sql".into()),
                    body,
                    returns_trigger,
                    executable_by: BTreeSet::new(),
                    site: Some(site),
                    name,
                };
                self.add_function(function, f.or_replace);
            }
            Ast::CreateView(v) => {
                let name = object_name(&v.name);
                let kind = if v.materialized {
                    RelKind::MaterializedView
                } else {
                    RelKind::View
                };
                let options = match &v.options {
                    CreateTableOptions::With(o)
                    | CreateTableOptions::Options(o)
                    | CreateTableOptions::Plain(o) => o.as_slice(),
                    _ => &[],
                };
                let security_invoker = options.iter().any(|o| match o {
                    SqlOption::KeyValue { key, value } => {
                        key.value.eq_ignore_ascii_case("security_invoker")
                            && is_truthy(&value.to_string())
                    }
                    _ => false,
                });
                let query = v.query.to_string();
                self.create_view(name, kind, security_invoker, &query, site);
            }
            Ast::CreateExtension(e) => {
                let schema = e
                    .schema
                    .as_ref()
                    .map(ident)
                    .unwrap_or_else(|| "public".into());
                self.model.extensions.push(Extension {
                    name: ident(&e.name),
                    schema,
                    site: Some(site),
                });
            }
            _ => {}
        }
    }

    fn create_view(
        &mut self,
        name: QualifiedName,
        kind: RelKind,
        security_invoker: bool,
        query: &str,
        site: Site,
    ) {
        let mut relation = Relation::new(name.clone(), kind, Some(site));
        relation.privileges = self.initial_privileges(&name.schema, ObjectClass::Tables);
        relation.security_invoker = security_invoker;
        relation.references = referenced_relations(query)
            .iter()
            .filter_map(|p| qualified(p))
            .collect();
        if let Some(old) = self.model.relations.get(&name) {
            relation.privileges = old.privileges.clone();
        }
        self.model.relations.insert(name, relation);
    }

    /// Indices of the functions called `name` with `arity` arguments (any arity if `None`).
    fn functions_named(&self, name: &QualifiedName, arity: Option<usize>) -> Vec<usize> {
        self.fn_index
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| arity.is_none_or(|a| a == self.model.functions[i].arity))
            .collect()
    }

    fn reindex_functions(&mut self) {
        self.fn_index.clear();
        for (i, f) in self.model.functions.iter().enumerate() {
            self.fn_index.entry(f.name.clone()).or_default().push(i);
        }
    }

    fn add_function(&mut self, mut function: Function, replace: bool) {
        let existing = self
            .functions_named(&function.name, None)
            .into_iter()
            .find(|&i| self.model.functions[i].args == function.args);
        match existing {
            Some(i) if replace => {
                function.executable_by = self.model.functions[i].executable_by.clone();
                self.model.functions[i] = function;
            }
            _ => {
                function.executable_by = self
                    .initial_privileges(&function.name.schema, ObjectClass::Functions)
                    .into_keys()
                    .collect();
                self.fn_index
                    .entry(function.name.clone())
                    .or_default()
                    .push(self.model.functions.len());
                self.model.functions.push(function);
            }
        }
    }

    fn touch(&mut self, table: &QualifiedName, site: Site) {
        if let Some(r) = self.model.relations.get_mut(table) {
            r.last_altered = Some(site);
        }
    }

    fn create_relation(
        &mut self,
        name: QualifiedName,
        kind: RelKind,
        site: Site,
        if_not_exists: bool,
    ) {
        if if_not_exists && self.model.relations.contains_key(&name) {
            return;
        }
        let mut relation = Relation::new(name.clone(), kind, Some(site));
        relation.privileges = self.initial_privileges(&name.schema, ObjectClass::Tables);
        if let Some(old) = self.model.relations.remove(&name) {
            relation.rls_enabled_on_dropped = old.rls_enabled_at.or(old.rls_enabled_on_dropped);
        }
        if let Some(old) = self.dropped.remove(&name) {
            relation.rls_enabled_on_dropped = relation.rls_enabled_on_dropped.or(old);
        }
        self.model.relations.insert(name, relation);
    }

    /// Statements the token reader understands fully, so sqlparser need not run: table DDL,
    /// RLS switches, grants, drops, and statements with no effect on what the rules read.
    /// sqlparser reads the rest (policies, functions, views, extensions, anything unknown).
    fn token_statement(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        cur.i = 0;
        if cur.at_word("grant") || cur.at_word("revoke") {
            return self.grant_or_revoke(cur, site);
        }
        if cur.eat_seq(&["alter", "default", "privileges"]) {
            return self.alter_default_privileges(cur);
        }
        if cur.eat_seq(&["alter", "table"]) {
            return self.alter_table(cur, site);
        }
        if cur.eat_seq(&["alter", "view"]) || cur.eat_seq(&["alter", "materialized", "view"]) {
            return self.alter_view(cur, site);
        }
        if cur.eat_seq(&["alter", "function"])
            || cur.eat_seq(&["alter", "procedure"])
            || cur.eat_seq(&["alter", "routine"])
        {
            return self.alter_function(cur, site);
        }
        if cur.eat("drop") {
            return self.drop(cur);
        }
        cur.i = 0;
        if NO_EFFECT.iter().any(|seq| cur.eat_seq(seq)) {
            return true;
        }
        if cur.eat("create") {
            cur.eat_seq(&["or", "replace"]);
            for w in ["global", "local", "temp", "temporary", "unlogged"] {
                cur.eat(w);
            }
            if cur.eat_seq(&["foreign", "table"]) {
                let if_not_exists = cur.eat_seq(&["if", "not", "exists"]);
                if let Some((parts, _, _)) = cur.name() {
                    if let Some(name) = qualified(&parts) {
                        self.create_relation(name, RelKind::ForeignTable, site, if_not_exists);
                        return true;
                    }
                }
            } else if cur.eat("table") {
                let if_not_exists = cur.eat_seq(&["if", "not", "exists"]);
                if let Some((parts, _, _)) = cur.name() {
                    if let Some(name) = qualified(&parts) {
                        let kind = if cur.find_seq(&["partition", "by"]).is_some() {
                            RelKind::PartitionedTable
                        } else {
                            RelKind::Table
                        };
                        self.create_relation(name, kind, site, if_not_exists);
                        return true;
                    }
                }
                return false;
            }
        }
        false
    }

    /// Statements sqlparser rejected and the token reader can still read.
    fn fallback_statement(&mut self, cur: &mut Cursor<'_>, site: Site, code: &str) -> bool {
        if !cur.eat("create") {
            return false;
        }
        let or_replace = cur.eat_seq(&["or", "replace"]);
        for w in ["global", "local", "temp", "temporary", "unlogged"] {
            cur.eat(w);
        }
        if cur.at_word("table") {
            return true;
        }
        if cur.eat("policy") {
            return self.fallback_policy(cur, site);
        }
        if cur.eat("function") || cur.eat("procedure") {
            return self.fallback_function(cur, site, or_replace);
        }
        let materialized = cur.eat("materialized");
        if cur.eat("view") {
            cur.eat_seq(&["if", "not", "exists"]);
            let Some((parts, _, _)) = cur.name() else {
                return false;
            };
            let Some(name) = qualified(&parts) else {
                return false;
            };
            let mut security_invoker = false;
            while let Some(t) = cur.peek() {
                if t.is_word(code, "as") {
                    break;
                }
                if t.is_word(code, "security_invoker") {
                    cur.i += 1;
                    cur.eat_punct('=');
                    security_invoker = cur.peek().is_none_or(|v| is_truthy(cur.text(v)));
                }
                cur.i += 1;
            }
            let query = cur.peek().map_or("", |t| &code[t.start..]);
            let kind = if materialized {
                RelKind::MaterializedView
            } else {
                RelKind::View
            };
            self.create_view(name, kind, security_invoker, query, site);
            return true;
        }
        false
    }

    fn fallback_policy(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        let Some((name, _, _)) = cur.name() else {
            return false;
        };
        if !cur.eat("on") {
            return false;
        }
        let Some(table) = cur.name().and_then(|(p, _, _)| qualified(&p)) else {
            return false;
        };
        let mut policy = Policy {
            table,
            name: role_name(&name),
            permissive: true,
            command: PolicyCommand::All,
            roles: vec!["public".into()],
            using: None,
            with_check: None,
            site: Some(site),
        };
        while !cur.done() {
            if cur.eat("as") {
                policy.permissive = !cur.eat("restrictive");
                cur.eat("permissive");
            } else if cur.eat("for") {
                policy.command = if cur.eat("select") {
                    PolicyCommand::Select
                } else if cur.eat("insert") {
                    PolicyCommand::Insert
                } else if cur.eat("update") {
                    PolicyCommand::Update
                } else if cur.eat("delete") {
                    PolicyCommand::Delete
                } else {
                    cur.eat("all");
                    PolicyCommand::All
                };
            } else if cur.eat("to") {
                policy.roles = cur
                    .name_list()
                    .into_iter()
                    .map(|(p, _, _)| role_name(&p))
                    .collect();
            } else if cur.eat("using") {
                policy.using = cur
                    .skip_group()
                    .map(|(s, e)| cur.sql[s..e].trim().to_string());
            } else if cur.eat_seq(&["with", "check"]) {
                policy.with_check = cur
                    .skip_group()
                    .map(|(s, e)| cur.sql[s..e].trim().to_string());
            } else {
                return false;
            }
        }
        self.touch(&policy.table, site);
        self.model.policies.push(policy);
        true
    }

    fn fallback_function(&mut self, cur: &mut Cursor<'_>, site: Site, or_replace: bool) -> bool {
        let Some((parts, _, _)) = cur.name() else {
            return false;
        };
        let Some(name) = qualified(&parts) else {
            return false;
        };
        let (args, arity) = cur
            .skip_group()
            .map(|(s, e)| arg_types(&cur.sql[s..e]))
            .unwrap_or_default();
        let mut function = Function {
            name,
            args,
            arity,
            security_definer: false,
            search_path_set: false,
            language: "sql".into(),
            body: String::new(),
            returns_trigger: false,
            executable_by: BTreeSet::new(),
            site: Some(site),
        };
        self.function_options(cur, &mut function);
        self.add_function(function, or_replace);
        true
    }

    fn function_options(&self, cur: &mut Cursor<'_>, f: &mut Function) {
        while let Some(t) = cur.peek() {
            if cur.eat_seq(&["security", "definer"]) {
                f.security_definer = true;
            } else if cur.eat_seq(&["security", "invoker"]) {
                f.security_definer = false;
            } else if cur.eat_seq(&["set", "search_path"]) {
                f.search_path_set = true;
            } else if cur.eat_seq(&["reset", "search_path"]) || cur.eat_seq(&["reset", "all"]) {
                f.search_path_set = false;
            } else if cur.eat("language") {
                if let Some(l) = cur.peek() {
                    f.language = normalize_ident(cur.text(l));
                    cur.i += 1;
                }
            } else if cur.eat_seq(&["returns", "trigger"])
                || cur.eat_seq(&["returns", "event_trigger"])
            {
                f.returns_trigger = true;
            } else {
                if matches!(t.kind, TokenKind::DollarString | TokenKind::String)
                    && f.body.is_empty()
                {
                    f.body = strip_dollar_quotes(cur.text(t)).to_string();
                }
                cur.i += 1;
            }
        }
    }

    fn alter_function(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        let Some((parts, _, _)) = cur.name() else {
            return false;
        };
        let Some(name) = qualified(&parts) else {
            return false;
        };
        let arity = cur.skip_group().map(|(s, e)| arg_types(&cur.sql[s..e]).1);
        let mut probe = Function {
            name: name.clone(),
            args: String::new(),
            arity: 0,
            security_definer: false,
            search_path_set: false,
            language: String::new(),
            body: String::new(),
            returns_trigger: false,
            executable_by: BTreeSet::new(),
            site: None,
        };
        let start = cur.i;
        let mut any = false;
        for i in self.functions_named(&name, arity) {
            let f = &mut self.model.functions[i];
            cur.i = start;
            probe.security_definer = f.security_definer;
            probe.search_path_set = f.search_path_set;
            while !cur.done() {
                if cur.eat_seq(&["security", "definer"]) {
                    probe.security_definer = true;
                } else if cur.eat_seq(&["security", "invoker"]) {
                    probe.security_definer = false;
                } else if cur.eat_seq(&["set", "search_path"]) {
                    probe.search_path_set = true;
                } else if cur.eat_seq(&["reset", "search_path"]) || cur.eat_seq(&["reset", "all"]) {
                    probe.search_path_set = false;
                } else {
                    cur.i += 1;
                }
            }
            f.security_definer = probe.security_definer;
            f.search_path_set = probe.search_path_set;
            f.site = Some(site);
            any = true;
        }
        any || !cur.done()
    }

    fn alter_table(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        cur.eat_seq(&["if", "exists"]);
        cur.eat("only");
        let Some((parts, start, end)) = cur.name() else {
            return false;
        };
        let Some(name) = qualified(&parts) else {
            return false;
        };
        let name_site = Site {
            file: site.file,
            start: site.start + start,
            end: site.start + end,
        };
        if MANAGED_SCHEMAS.contains(&name.schema.as_str()) {
            let action = cur
                .peek()
                .map(|t| {
                    first_words_from(cur, cur.i, 3)
                        .replace(cur.text(t), &cur.text(t).to_uppercase())
                })
                .unwrap_or_default();
            self.model.managed_alterations.push(ManagedAlteration {
                table: name.clone(),
                action,
                site: name_site,
            });
        }
        self.touch(&name, site);
        let mut understood = true;
        let mut rename_to = None;
        while !cur.done() {
            if cur.eat_seq(&["enable", "row", "level", "security"]) {
                if let Some(r) = self.model.relations.get_mut(&name) {
                    r.rls_enabled = true;
                    r.rls_enabled_at = Some(site);
                }
            } else if cur.eat_seq(&["disable", "row", "level", "security"]) {
                if let Some(r) = self.model.relations.get_mut(&name) {
                    r.rls_enabled = false;
                    r.rls_disabled_at = Some(site);
                }
            } else if cur.eat_seq(&["no", "force", "row", "level", "security"]) {
                if let Some(r) = self.model.relations.get_mut(&name) {
                    r.rls_forced = false;
                }
            } else if cur.eat_seq(&["force", "row", "level", "security"]) {
                if let Some(r) = self.model.relations.get_mut(&name) {
                    r.rls_forced = true;
                }
            } else if cur.eat_seq(&["rename", "to"]) {
                rename_to = cur.name().map(|(p, _, _)| p);
            } else if cur.eat_seq(&["set", "schema"]) {
                rename_to = cur
                    .name()
                    .map(|(p, _, _)| vec![p[0].clone(), name.name.clone()]);
            } else {
                understood = false;
                cur.i += 1;
            }
        }
        if let Some(parts) = rename_to {
            let new = if parts.len() == 1 {
                QualifiedName::new(name.schema.clone(), parts[0].clone())
            } else {
                qualified(&parts).unwrap_or(name.clone())
            };
            if let Some(mut r) = self.model.relations.remove(&name) {
                r.name = new.clone();
                self.model.relations.insert(new.clone(), r);
            }
            for p in self.model.policies.iter_mut().filter(|p| p.table == name) {
                p.table = new.clone();
            }
        }
        understood
    }

    fn alter_view(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        cur.eat_seq(&["if", "exists"]);
        let Some(name) = cur.name().and_then(|(p, _, _)| qualified(&p)) else {
            return false;
        };
        let Some(view) = self.model.relations.get_mut(&name) else {
            return true;
        };
        view.last_altered = Some(site);
        let mut set = None;
        while let Some(t) = cur.peek() {
            if cur.eat("set") {
                set = Some(true);
            } else if cur.eat("reset") {
                set = Some(false);
            } else if t.is_word(cur.sql, "security_invoker") {
                cur.i += 1;
                view.security_invoker = match set {
                    Some(true) => {
                        !cur.eat_punct('=') || cur.peek().is_none_or(|v| is_truthy(cur.text(v)))
                    }
                    _ => false,
                };
            } else {
                cur.i += 1;
            }
        }
        true
    }

    fn drop(&mut self, cur: &mut Cursor<'_>) -> bool {
        let kind = [
            "table",
            "view",
            "function",
            "procedure",
            "policy",
            "extension",
        ]
        .into_iter()
        .find(|k| cur.eat(k))
        .or_else(|| cur.eat_seq(&["materialized", "view"]).then_some("view"))
        .or_else(|| cur.eat_seq(&["foreign", "table"]).then_some("table"));
        let Some(kind) = kind else { return false };
        cur.eat_seq(&["if", "exists"]);
        match kind {
            "policy" => {
                let Some((name, _, _)) = cur.name() else {
                    return false;
                };
                if !cur.eat("on") {
                    return false;
                }
                let Some(table) = cur.name().and_then(|(p, _, _)| qualified(&p)) else {
                    return false;
                };
                let name = role_name(&name);
                self.model
                    .policies
                    .retain(|p| !(p.table == table && p.name == name));
            }
            "table" | "view" => {
                for (parts, _, _) in cur.name_list() {
                    if let Some(name) = qualified(&parts) {
                        if let Some(old) = self.model.relations.remove(&name) {
                            let enabled = old.rls_enabled_at.or(old.rls_enabled_on_dropped);
                            self.dropped.insert(name.clone(), enabled);
                        }
                        self.model.policies.retain(|p| p.table != name);
                    }
                }
            }
            "function" | "procedure" => {
                while let Some((parts, _, _)) = cur.name() {
                    let arity = cur.skip_group().map(|(s, e)| arg_types(&cur.sql[s..e]).1);
                    if let Some(name) = qualified(&parts) {
                        self.model
                            .functions
                            .retain(|f| !(f.name == name && arity.is_none_or(|a| a == f.arity)));
                        self.reindex_functions();
                    }
                    if !cur.eat_punct(',') {
                        break;
                    }
                }
            }
            _ => {
                for (parts, _, _) in cur.name_list() {
                    let name = role_name(&parts);
                    self.model.extensions.retain(|e| e.name != name);
                }
            }
        }
        true
    }

    fn grant_or_revoke(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        let grant = cur.eat("grant");
        if !grant {
            cur.eat("revoke");
            cur.eat_seq(&["grant", "option", "for"]);
        }
        let mut privileges = BTreeSet::new();
        let mut execute = false;
        loop {
            let Some(t) = cur.peek() else { return false };
            let word = cur.text(t).to_ascii_lowercase();
            if word == "on" || word == "to" || word == "from" {
                break;
            }
            if word == "all" {
                privileges.extend(Privilege::TABLE_ALL);
                execute = true;
                cur.i += 1;
                cur.eat("privileges");
                continue;
            }
            if word == "execute" {
                execute = true;
            } else if let Some(p) = Privilege::parse(&word) {
                privileges.insert(p);
            }
            cur.i += 1;
            if cur.peek().is_some_and(|t| t.is_punct(cur.sql, '(')) {
                cur.skip_group();
            }
            cur.eat_punct(',');
        }
        if !cur.eat("on") {
            return true;
        }
        enum Target {
            Tables(Vec<QualifiedName>),
            AllTablesIn(Vec<String>),
            Functions(Vec<(QualifiedName, Option<usize>)>),
            AllFunctionsIn(Vec<String>),
            Other,
        }
        let target = if cur.eat_seq(&["all", "tables", "in", "schema"]) {
            Target::AllTablesIn(
                cur.name_list()
                    .into_iter()
                    .map(|(p, _, _)| role_name(&p))
                    .collect(),
            )
        } else if cur.eat_seq(&["all", "functions", "in", "schema"])
            || cur.eat_seq(&["all", "routines", "in", "schema"])
        {
            Target::AllFunctionsIn(
                cur.name_list()
                    .into_iter()
                    .map(|(p, _, _)| role_name(&p))
                    .collect(),
            )
        } else if cur.eat("function") || cur.eat("routine") || cur.eat("procedure") {
            let mut fns = Vec::new();
            while let Some((parts, _, _)) = cur.name() {
                let arity = cur.skip_group().map(|(s, e)| arg_types(&cur.sql[s..e]).1);
                if let Some(n) = qualified(&parts) {
                    fns.push((n, arity));
                }
                if !cur.eat_punct(',') {
                    break;
                }
            }
            Target::Functions(fns)
        } else if cur.at_word("schema")
            || cur.at_word("sequence")
            || cur.at_word("database")
            || cur.at_word("type")
            || cur.at_word("all")
            || cur.at_word("language")
            || cur.at_word("domain")
            || cur.at_word("foreign")
            || cur.at_word("large")
            || cur.at_word("tablespace")
        {
            Target::Other
        } else {
            cur.eat("table");
            Target::Tables(
                cur.name_list()
                    .into_iter()
                    .filter_map(|(p, _, _)| qualified(&p))
                    .collect(),
            )
        };
        if !(cur.eat("to") || cur.eat("from")) {
            return matches!(target, Target::Other);
        }
        let roles: Vec<String> = cur
            .name_list()
            .into_iter()
            .map(|(p, _, _)| role_name(&p))
            .filter(|r| r != "group")
            .collect();
        let apply_rel = |r: &mut Relation| {
            for role in &roles {
                let held = r.privileges.entry(role.clone()).or_default();
                if grant {
                    held.extend(privileges.iter().copied());
                    if privileges.contains(&Privilege::Truncate) {
                        r.truncate_granted_at.insert(role.clone(), Some(site));
                    }
                } else {
                    held.retain(|p| !privileges.contains(p));
                    if privileges.contains(&Privilege::Truncate) {
                        r.truncate_granted_at.remove(role);
                    }
                }
            }
            r.last_altered = Some(site);
        };
        let apply_fn = |f: &mut Function| {
            for role in &roles {
                if grant {
                    f.executable_by.insert(role.clone());
                } else {
                    f.executable_by.remove(role);
                }
            }
        };
        match target {
            Target::Tables(names) => {
                for n in names {
                    if let Some(r) = self.model.relations.get_mut(&n) {
                        apply_rel(r);
                    }
                }
            }
            Target::AllTablesIn(schemas) => {
                for r in self
                    .model
                    .relations
                    .values_mut()
                    .filter(|r| schemas.contains(&r.name.schema))
                {
                    apply_rel(r);
                }
            }
            Target::Functions(fns) if execute => {
                for (name, arity) in fns {
                    for i in self.functions_named(&name, arity) {
                        apply_fn(&mut self.model.functions[i]);
                    }
                }
            }
            Target::AllFunctionsIn(schemas) if execute => {
                for f in self
                    .model
                    .functions
                    .iter_mut()
                    .filter(|f| schemas.contains(&f.name.schema))
                {
                    apply_fn(f);
                }
            }
            _ => {}
        }
        true
    }

    fn alter_default_privileges(&mut self, cur: &mut Cursor<'_>) -> bool {
        let mut schemas = vec!["*".to_string()];
        loop {
            if cur.eat_seq(&["for", "role"]) || cur.eat_seq(&["for", "user"]) {
                cur.name_list();
            } else if cur.eat_seq(&["in", "schema"]) {
                schemas = cur
                    .name_list()
                    .into_iter()
                    .map(|(p, _, _)| role_name(&p))
                    .collect();
            } else {
                break;
            }
        }
        let grant = if cur.eat("grant") {
            true
        } else if cur.eat("revoke") {
            cur.eat_seq(&["grant", "option", "for"]);
            false
        } else {
            return false;
        };
        let mut privileges = BTreeSet::new();
        while let Some(t) = cur.peek() {
            let word = cur.text(t).to_ascii_lowercase();
            if word == "on" {
                break;
            }
            if word == "all" || word == "execute" {
                privileges.extend(Privilege::TABLE_ALL);
            } else if let Some(p) = Privilege::parse(&word) {
                privileges.insert(p);
            }
            cur.i += 1;
        }
        if !cur.eat("on") {
            return false;
        }
        let class = if cur.eat("tables") {
            ObjectClass::Tables
        } else if cur.eat("functions") || cur.eat("routines") {
            privileges = BTreeSet::from([Privilege::Select]);
            ObjectClass::Functions
        } else {
            return true;
        };
        if !(cur.eat("to") || cur.eat("from")) {
            return false;
        }
        let roles: Vec<String> = cur
            .name_list()
            .into_iter()
            .map(|(p, _, _)| role_name(&p))
            .collect();
        for schema in schemas {
            let entry = self.defaults.entry((schema, class)).or_default();
            for role in &roles {
                entry.insert(role.clone(), (privileges.clone(), grant));
            }
        }
        true
    }
}

/// A statement after the stateless part of the analysis.
pub struct Prepared<'a> {
    cur: Cursor<'a>,
    /// `None` when the token reader handles the statement alone.
    parsed: Option<Result<Vec<Ast>, String>>,
}

const NO_EFFECT: [&[&str]; 21] = [
    &["create", "index"],
    &["create", "unique", "index"],
    &["create", "trigger"],
    &["create", "or", "replace", "trigger"],
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

/// Argument types of a function's argument list (names and modes dropped, OUT args skipped).
fn arg_types(list: &str) -> (String, usize) {
    let mut types = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = list.as_bytes();
    let mut pieces = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                pieces.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&list[start..]);
    for piece in pieces {
        let piece = piece.split_once(" default ").map_or(piece, |(a, _)| a);
        let piece = piece.split_once('=').map_or(piece, |(a, _)| a);
        let mut words: Vec<&str> = piece.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        let mode = words[0].to_ascii_lowercase();
        if mode == "out" {
            continue;
        }
        if matches!(mode.as_str(), "in" | "inout" | "variadic") {
            words.remove(0);
        }
        if words.len() > 1 && !is_type_word(words[0]) {
            words.remove(0);
        }
        types.push(words.join(" ").to_lowercase());
    }
    let arity = types.len();
    (types.join(", "), arity)
}

fn is_type_word(w: &str) -> bool {
    matches!(
        w.to_ascii_lowercase().as_str(),
        "double" | "character" | "timestamp" | "time" | "bit" | "char" | "varchar" | "interval"
    )
}

fn first_words(cur: &Cursor<'_>, n: usize) -> String {
    first_words_from(cur, 0, n)
}

fn first_words_from(cur: &Cursor<'_>, from: usize, n: usize) -> String {
    cur.toks
        .iter()
        .skip(from)
        .take(n)
        .map(|t| cur.text(*t))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
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
