//! Statements the token reader handles alone: table DDL, RLS switches, views' options, drops,
//! and statements read only where sqlparser rejects them (policies, views).

use super::privileges::ObjectClass;
use super::signature::arg_types;
use super::tables::{column_action, created_columns};
use super::{
    first_words_from, is_truthy, qualified, role_name, Analyzer, MANAGED_SCHEMAS, NO_EFFECT,
};
use crate::lint::model::{
    ManagedAlteration, Policy, PolicyCommand, RelKind, Relation, RevokeTarget, Site,
};
use crate::lint::tokens::Cursor;
use crate::sql::names::QualifiedName;

impl Analyzer {
    pub(super) fn touch(&mut self, table: &QualifiedName, site: Site) {
        if let Some(r) = self.model.relations.get_mut(table) {
            r.last_altered = Some(site);
        }
    }

    pub(super) fn create_relation(
        &mut self,
        name: QualifiedName,
        kind: RelKind,
        site: Site,
        if_not_exists: bool,
        columns: Option<Vec<String>>,
    ) {
        if if_not_exists && self.model.relations.contains_key(&name) {
            return;
        }
        let mut relation = Relation::new(name.clone(), kind, Some(site));
        relation.columns = columns;
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
    pub(super) fn token_statement(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        cur.i = 0;
        if cur.at_word("grant") || cur.at_word("revoke") {
            return self.grant_or_revoke(cur, site);
        }
        if cur.eat_seq(&["alter", "default", "privileges"]) {
            return self.alter_default_privileges(cur, site);
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
        if cur.eat("create") {
            cur.eat_seq(&["or", "replace"]);
            cur.eat("constraint");
            if cur.eat("trigger") {
                return self.create_trigger(cur, site);
            }
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
                        let columns = created_columns(cur, &self.model);
                        self.create_relation(
                            name,
                            RelKind::ForeignTable,
                            site,
                            if_not_exists,
                            columns,
                        );
                        return true;
                    }
                }
            } else if cur.eat("table") {
                let if_not_exists = cur.eat_seq(&["if", "not", "exists"]);
                if let Some((parts, _, _)) = cur.name() {
                    if let Some(name) = qualified(&parts) {
                        let columns = created_columns(cur, &self.model);
                        let kind = if cur.find_seq(&["partition", "by"]).is_some() {
                            RelKind::PartitionedTable
                        } else {
                            RelKind::Table
                        };
                        self.create_relation(name, kind, site, if_not_exists, columns);
                        return true;
                    }
                }
                return false;
            }
        }
        false
    }

    /// Statements sqlparser rejected and the token reader can still read.
    pub(super) fn fallback_statement(
        &mut self,
        cur: &mut Cursor<'_>,
        site: Site,
        code: &str,
    ) -> bool {
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

    pub(super) fn fallback_policy(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
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
            to_written: false,
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
                policy.to_written = true;
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

    pub(super) fn alter_table(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        cur.eat_seq(&["if", "exists"]);
        cur.eat("only");
        let Some((parts, start, end)) = cur.name() else {
            return false;
        };
        let Some(name) = qualified(&parts) else {
            return false;
        };
        if cur.at_seq(&["owner", "to"]) {
            return true;
        }
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
        let mut action_start = true;
        while !cur.done() {
            let at_action = std::mem::take(&mut action_start);
            if at_action && column_action(cur, self.model.relations.get_mut(&name)) {
                continue;
            }
            if cur.eat_punct(',') {
                action_start = true;
            } else if cur.peek().is_some_and(|t| t.is_punct(cur.sql, '(')) {
                cur.skip_group();
            } else if cur.eat_seq(&["enable", "row", "level", "security"]) {
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

    pub(super) fn alter_view(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
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

    pub(super) fn drop(&mut self, cur: &mut Cursor<'_>) -> bool {
        let kind = [
            "table",
            "view",
            "function",
            "procedure",
            "policy",
            "extension",
            "trigger",
        ]
        .into_iter()
        .find(|k| cur.eat(k))
        .or_else(|| cur.eat_seq(&["materialized", "view"]).then_some("view"))
        .or_else(|| cur.eat_seq(&["foreign", "table"]).then_some("table"));
        let Some(kind) = kind else { return false };
        cur.eat_seq(&["if", "exists"]);
        match kind {
            "trigger" => {
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
                    .triggers
                    .retain(|t| !(t.table == table && t.name == name));
            }
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
                        let dropped = RevokeTarget::Table(name.clone());
                        self.model.revokes.retain(|r| r.target != dropped);
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
                        let dropped = RevokeTarget::Function(name, arity);
                        self.model
                            .revokes
                            .retain(|r| !r.target.same_object(&dropped));
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
}
