//! Privileges: what a new object starts with (Postgres's and Supabase's defaults, ALTER DEFAULT
//! PRIVILEGES), and GRANT/REVOKE on tables and functions.

use std::collections::{BTreeMap, BTreeSet};

use super::signature::arg_types;
use super::{qualified, role_name, Analyzer};
use crate::lint::model::{
    Function, IneffectiveDefaultRevoke, Privilege, Relation, Revoke, RevokeTarget, Site, API_ROLES,
};
use crate::lint::tokens::Cursor;
use crate::sql::names::QualifiedName;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum ObjectClass {
    Tables,
    Functions,
}

/// Default privileges as they stand, per (schema, or `*` for the global ones, class): the
/// privileges each role gets on a new object.
pub(super) type Defaults = BTreeMap<(String, ObjectClass), BTreeMap<String, BTreeSet<Privilege>>>;

impl Analyzer {
    /// The defaults under `key` before any ALTER DEFAULT PRIVILEGES: Postgres's global
    /// EXECUTE for PUBLIC on functions; Supabase's per-schema grants in `public` to the API
    /// roles (unless `auto_expose_new_tables = false`).
    fn base_defaults(&self, key: &(String, ObjectClass)) -> BTreeMap<String, BTreeSet<Privilege>> {
        let (schema, class) = (key.0.as_str(), key.1);
        let mut roles = BTreeMap::new();
        if schema == "*" && class == ObjectClass::Functions {
            roles.insert("public".to_string(), BTreeSet::from([Privilege::Select]));
        }
        if schema == "public" && self.auto_expose {
            for role in ["anon", "authenticated", "service_role"] {
                let privs = match class {
                    ObjectClass::Tables => Privilege::TABLE_ALL.into_iter().collect(),
                    ObjectClass::Functions => BTreeSet::from([Privilege::Select]),
                };
                roles.insert(role.to_string(), privs);
            }
        }
        roles
    }

    fn defaults_for(&self, key: &(String, ObjectClass)) -> BTreeMap<String, BTreeSet<Privilege>> {
        self.defaults
            .get(key)
            .cloned()
            .unwrap_or_else(|| self.base_defaults(key))
    }

    /// Privileges a new object of `class` in `schema` starts with, per role: the global
    /// defaults plus the schema's own (which can only add: Postgres documents per-schema
    /// defaults as added to the global ones).
    pub(super) fn initial_privileges(
        &self,
        schema: &str,
        class: ObjectClass,
    ) -> BTreeMap<String, BTreeSet<Privilege>> {
        let mut roles = self.defaults_for(&("*".to_string(), class));
        for (role, privs) in self.defaults_for(&(schema.to_string(), class)) {
            roles.entry(role).or_default().extend(privs);
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
        let mut column_privileges: Vec<(Privilege, Vec<String>)> = Vec::new();
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
            cur.i += 1;
            let columns = cur.skip_group().map(|(s, e)| {
                Cursor::new(&cur.sql[s..e])
                    .name_list()
                    .into_iter()
                    .filter_map(|(p, _, _)| p.last().cloned())
                    .collect::<Vec<_>>()
            });
            if word == "execute" {
                execute = true;
            } else if let Some(p) = Privilege::parse(&word) {
                match columns {
                    Some(columns) => column_privileges.push((p, columns)),
                    None => {
                        privileges.insert(p);
                    }
                }
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
                for (p, columns) in &column_privileges {
                    let held = r
                        .column_privileges
                        .entry(role.clone())
                        .or_default()
                        .entry(*p)
                        .or_default();
                    if grant {
                        held.extend(columns.iter().cloned());
                    } else {
                        held.retain(|c| !columns.contains(c));
                    }
                }
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
        let api_roles = |roles: &[String]| {
            roles
                .iter()
                .any(|r| r == "public" || API_ROLES.contains(&r.as_str()))
        };
        let recorded = match &target {
            Target::Functions(fns) if execute => fns
                .iter()
                .map(|(n, a)| (RevokeTarget::Function(n.clone(), *a), BTreeSet::new()))
                .collect(),
            Target::Tables(names) if !privileges.is_empty() => names
                .iter()
                .map(|n| (RevokeTarget::Table(n.clone()), privileges.clone()))
                .collect(),
            _ => Vec::new(),
        };
        for (target, privs) in recorded {
            if grant {
                for r in self.model.revokes.iter_mut() {
                    if r.target.same_object(&target) {
                        r.regranted.extend(roles.iter().cloned());
                    }
                }
            } else if api_roles(&roles) {
                self.model.revokes.push(Revoke {
                    target,
                    roles: roles.clone(),
                    privileges: privs,
                    site,
                    regranted: Vec::new(),
                });
            }
        }
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

    pub(super) fn alter_default_privileges(&mut self, cur: &mut Cursor<'_>, site: Site) -> bool {
        let mut schemas = vec!["*".to_string()];
        let mut for_others = false;
        loop {
            if cur.eat_seq(&["for", "role"]) || cur.eat_seq(&["for", "user"]) {
                for_others = !cur
                    .name_list()
                    .iter()
                    .any(|(p, _, _)| role_name(p) == "postgres");
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
        let (class, objects) = if cur.eat("tables") {
            (ObjectClass::Tables, "tables")
        } else if cur.eat("functions") || cur.eat("routines") {
            privileges = BTreeSet::from([Privilege::Select]);
            (ObjectClass::Functions, "functions")
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
        if for_others {
            return true;
        }
        for schema in schemas {
            let key = (schema.clone(), class);
            let mut state = self.defaults_for(&key);
            let mut unchanged = Vec::new();
            for role in &roles {
                let held = state.entry(role.clone()).or_default();
                if grant {
                    held.extend(privileges.iter().copied());
                } else if held.iter().any(|p| privileges.contains(p)) {
                    held.retain(|p| !privileges.contains(p));
                } else {
                    unchanged.push(role.clone());
                }
            }
            let global = self.defaults_for(&("*".to_string(), class));
            let still_granted = |role: &String| {
                [role.as_str(), "public"]
                    .iter()
                    .filter_map(|r| global.get(*r))
                    .any(|held| held.iter().any(|p| privileges.contains(p)))
            };
            unchanged.retain(still_granted);
            if schema != "*" && !grant && !unchanged.is_empty() {
                self.model
                    .ineffective_default_revokes
                    .push(IneffectiveDefaultRevoke {
                        schema,
                        roles: unchanged,
                        objects,
                        site,
                    });
            }
            self.defaults.insert(key, state);
        }
        true
    }
}
