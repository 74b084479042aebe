//! Privileges: what a new object starts with (Postgres's and Supabase's defaults, ALTER DEFAULT
//! PRIVILEGES), and GRANT/REVOKE on tables and functions.

use std::collections::{BTreeMap, BTreeSet};

use super::functions::arg_types;
use super::{qualified, role_name, Analyzer};
use crate::lint::model::{Function, Privilege, Relation, Site};
use crate::lint::tokens::Cursor;
use crate::sql::names::QualifiedName;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum ObjectClass {
    Tables,
    Functions,
}

/// Default privileges: per (schema or `*`, class), roles granted or revoked.
pub(super) type Defaults =
    BTreeMap<(String, ObjectClass), BTreeMap<String, (BTreeSet<Privilege>, bool)>>;

impl Analyzer {
    /// Privileges a new object of `class` in `schema` starts with, per role: Postgres gives
    /// EXECUTE on functions to PUBLIC; Supabase's default privileges grant tables and functions
    /// in `public` to anon and authenticated; ALTER DEFAULT PRIVILEGES adjusts both.
    pub(super) fn initial_privileges(
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

    pub(super) fn grant_or_revoke(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
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

    pub(super) fn alter_default_privileges(&mut self, cur: &mut Cursor<'_>) -> bool {
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
