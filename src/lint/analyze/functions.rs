//! Functions: the index by name, CREATE FUNCTION where sqlparser fails, ALTER FUNCTION.

use std::collections::BTreeSet;

use super::privileges::ObjectClass;
use super::signature::arg_types;
use super::{qualified, strip_dollar_quotes, Analyzer};
use crate::lint::model::{Function, Site};
use crate::lint::tokens::Cursor;
use crate::sql::lex::TokenKind;
use crate::sql::names::{normalize_ident, QualifiedName};

impl Analyzer {
    /// Indices of the functions called `name` with `arity` arguments (any arity if `None`).
    pub(super) fn functions_named(&self, name: &QualifiedName, arity: Option<usize>) -> Vec<usize> {
        self.fn_index
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| arity.is_none_or(|a| a == self.model.functions[i].arity))
            .collect()
    }

    pub(super) fn reindex_functions(&mut self) {
        self.fn_index.clear();
        for (i, f) in self.model.functions.iter().enumerate() {
            self.fn_index.entry(f.name.clone()).or_default().push(i);
        }
    }

    pub(super) fn add_function(&mut self, mut function: Function, replace: bool) {
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

    pub(super) fn fallback_function(
        &mut self,
        cur: &mut Cursor<'_>,
        site: Site,
        or_replace: bool,
    ) -> bool {
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
            returns_boolean: false,
            executable_by: BTreeSet::new(),
            site: Some(site),
        };
        self.function_options(cur, &mut function);
        self.add_function(function, or_replace);
        true
    }

    pub(super) fn function_options(&self, cur: &mut Cursor<'_>, f: &mut Function) {
        while let Some(t) = cur.peek() {
            if cur.eat_seq(&["security", "definer"]) {
                f.security_definer = true;
            } else if cur.eat_seq(&["security", "invoker"]) {
                f.security_definer = false;
            } else if cur.eat_keyword_ident("set", "search_path") {
                f.search_path_set = true;
            } else if cur.eat_keyword_ident("reset", "search_path")
                || cur.eat_seq(&["reset", "all"])
            {
                f.search_path_set = false;
            } else if cur.eat("language") {
                if let Some(l) = cur.peek() {
                    f.language = normalize_ident(cur.text(l));
                    cur.i += 1;
                }
            } else if cur.eat_keyword_ident("returns", "trigger")
                || cur.eat_keyword_ident("returns", "event_trigger")
            {
                f.returns_trigger = true;
            } else if cur.eat_keyword_ident("returns", "boolean")
                || cur.eat_keyword_ident("returns", "bool")
            {
                f.returns_boolean = true;
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

    /// `alter function f(...) action...`. Only actions that change what the rules read
    /// (SECURITY, search_path, the name) move the function's site to this statement: the
    /// `OWNER TO` that `pg_dump` writes after every function changes nothing they read.
    pub(super) fn alter_function(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        let Some((parts, _, _)) = cur.name() else {
            return false;
        };
        let Some(name) = qualified(&parts) else {
            return false;
        };
        let arity = cur.skip_group().map(|(s, e)| arg_types(&cur.sql[s..e]).1);
        let start = cur.i;
        let mut any = false;
        for i in self.functions_named(&name, arity) {
            let f = &mut self.model.functions[i];
            cur.i = start;
            let before = (f.security_definer, f.search_path_set, f.name.clone());
            while !cur.done() {
                if cur.eat_seq(&["security", "definer"]) {
                    f.security_definer = true;
                } else if cur.eat_seq(&["security", "invoker"]) {
                    f.security_definer = false;
                } else if cur.eat_keyword_ident("set", "search_path") {
                    f.search_path_set = true;
                } else if cur.eat_keyword_ident("reset", "search_path")
                    || cur.eat_seq(&["reset", "all"])
                {
                    f.search_path_set = false;
                } else if cur.eat_seq(&["rename", "to"]) {
                    if let Some((p, _, _)) = cur.name() {
                        f.name = QualifiedName::new(
                            f.name.schema.clone(),
                            p.last().cloned().unwrap_or_default(),
                        );
                    }
                } else if cur.eat_seq(&["set", "schema"]) {
                    if let Some((p, _, _)) = cur.name() {
                        f.name = QualifiedName::new(
                            p.last().cloned().unwrap_or_default(),
                            f.name.name.clone(),
                        );
                    }
                } else {
                    cur.i += 1;
                }
            }
            if before != (f.security_definer, f.search_path_set, f.name.clone()) {
                f.site = Some(site);
            }
            any = true;
        }
        if any {
            self.reindex_functions();
        }
        any || !cur.done()
    }
}
