//! What the migrations produced, as far as the rules care: relations with their RLS state and
//! API grants, policies, functions, extensions. Built from the files (static) or from the
//! catalog; the rules read only this.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use crate::sql::names::QualifiedName;

/// The roles PostgREST switches to for requests.
pub const API_ROLES: [&str; 2] = ["anon", "authenticated"];

/// A byte range in one of the analysed files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    pub file: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RelKind {
    Table,
    PartitionedTable,
    ForeignTable,
    View,
    MaterializedView,
}

impl RelKind {
    pub fn noun(self) -> &'static str {
        match self {
            RelKind::Table => "table",
            RelKind::PartitionedTable => "partitioned table",
            RelKind::ForeignTable => "foreign table",
            RelKind::View => "view",
            RelKind::MaterializedView => "materialized view",
        }
    }

    pub fn has_rls(self) -> bool {
        matches!(self, RelKind::Table | RelKind::PartitionedTable)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
}

impl Privilege {
    pub const TABLE_ALL: [Privilege; 7] = [
        Privilege::Select,
        Privilege::Insert,
        Privilege::Update,
        Privilege::Delete,
        Privilege::Truncate,
        Privilege::References,
        Privilege::Trigger,
    ];
    pub const DML: [Privilege; 4] = [
        Privilege::Select,
        Privilege::Insert,
        Privilege::Update,
        Privilege::Delete,
    ];

    pub fn parse(word: &str) -> Option<Privilege> {
        Some(match word.to_ascii_lowercase().as_str() {
            "select" => Privilege::Select,
            "insert" => Privilege::Insert,
            "update" => Privilege::Update,
            "delete" => Privilege::Delete,
            "truncate" => Privilege::Truncate,
            "references" => Privilege::References,
            "trigger" => Privilege::Trigger,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Relation {
    pub name: QualifiedName,
    pub kind: RelKind,
    pub created: Option<Site>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub rls_enabled_at: Option<Site>,
    pub rls_disabled_at: Option<Site>,
    /// RLS was enabled on an earlier table of the same name that was dropped since.
    pub rls_enabled_on_dropped: Option<Site>,
    /// Privileges per role (`public` for PUBLIC).
    pub privileges: BTreeMap<String, BTreeSet<Privilege>>,
    /// Where TRUNCATE (or ALL) was granted to a role, when known.
    pub truncate_granted_at: BTreeMap<String, Option<Site>>,
    /// Views: `security_invoker = true`.
    pub security_invoker: bool,
    /// Views: the relations the query reads.
    pub references: Vec<QualifiedName>,
    /// The last statement that created or altered it.
    pub last_altered: Option<Site>,
    /// Column names in order, when every statement that shaped them was read.
    pub columns: Option<Vec<String>>,
    /// Column-level grants per role (`grant update (a, b) on t to r`).
    pub column_privileges: BTreeMap<String, BTreeMap<Privilege, BTreeSet<String>>>,
}

impl Relation {
    pub fn new(name: QualifiedName, kind: RelKind, created: Option<Site>) -> Self {
        Relation {
            name,
            kind,
            created,
            rls_enabled: false,
            rls_forced: false,
            rls_enabled_at: None,
            rls_disabled_at: None,
            rls_enabled_on_dropped: None,
            privileges: BTreeMap::new(),
            truncate_granted_at: BTreeMap::new(),
            security_invoker: false,
            references: Vec::new(),
            last_altered: created,
            columns: None,
            column_privileges: BTreeMap::new(),
        }
    }

    /// Roles among anon/authenticated/PUBLIC holding `privilege`.
    pub fn api_roles_with(&self, privilege: Privilege) -> Vec<&str> {
        ["anon", "authenticated", "public"]
            .into_iter()
            .filter(|r| {
                self.privileges
                    .get(*r)
                    .is_some_and(|p| p.contains(&privilege))
            })
            .collect()
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.columns
            .as_ref()
            .is_some_and(|c| c.iter().any(|x| x == name))
    }

    /// `role` may UPDATE `column`: through a table-level grant (to it or PUBLIC) or a column grant.
    pub fn can_update_column(&self, role: &str, column: &str) -> bool {
        [role, "public"].iter().any(|r| {
            self.privileges
                .get(*r)
                .is_some_and(|p| p.contains(&Privilege::Update))
                || self
                    .column_privileges
                    .get(*r)
                    .and_then(|c| c.get(&Privilege::Update))
                    .is_some_and(|cols| cols.contains(column))
        })
    }

    /// anon, authenticated or PUBLIC can read or write it through the API.
    pub fn api_reachable(&self) -> bool {
        Privilege::DML
            .iter()
            .any(|p| !self.api_roles_with(*p).is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }

    /// The commands a policy for `self` applies to.
    pub fn expand(self) -> &'static [PolicyCommand] {
        match self {
            PolicyCommand::All => &[
                PolicyCommand::Select,
                PolicyCommand::Insert,
                PolicyCommand::Update,
                PolicyCommand::Delete,
            ],
            PolicyCommand::Select => &[PolicyCommand::Select],
            PolicyCommand::Insert => &[PolicyCommand::Insert],
            PolicyCommand::Update => &[PolicyCommand::Update],
            PolicyCommand::Delete => &[PolicyCommand::Delete],
        }
    }

    pub fn writes(self) -> bool {
        self != PolicyCommand::Select
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub table: QualifiedName,
    pub name: String,
    pub permissive: bool,
    pub command: PolicyCommand,
    /// Lower-case role names; `public` when the policy has no TO clause.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub site: Option<Site>,
    /// The statement names its roles (`TO ...`), even if only `public`.
    pub to_written: bool,
}

impl Policy {
    /// The policy applies to anon or authenticated requests.
    pub fn applies_to_api(&self) -> bool {
        self.roles
            .iter()
            .any(|r| r == "public" || API_ROLES.contains(&r.as_str()))
    }

    pub fn applies_to(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role || r == "public")
    }

    pub fn expressions(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.using
            .as_deref()
            .map(|e| ("USING", e))
            .into_iter()
            .chain(self.with_check.as_deref().map(|e| ("WITH CHECK", e)))
    }

    pub fn label(&self) -> String {
        format!("policy \"{}\" on {}", self.name, self.table)
    }
}

#[derive(Debug, Clone)]
pub struct Function {
    pub name: QualifiedName,
    /// Argument types as written, e.g. `text, integer`.
    pub args: String,
    pub arity: usize,
    pub security_definer: bool,
    pub search_path_set: bool,
    pub language: String,
    pub body: String,
    pub returns_trigger: bool,
    /// Returns `boolean` (a predicate such as a membership helper).
    pub returns_boolean: bool,
    /// Roles (`public` for PUBLIC) that may EXECUTE it.
    pub executable_by: BTreeSet<String>,
    pub site: Option<Site>,
}

impl Function {
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.args)
    }

    /// Roles among anon/authenticated/PUBLIC that may call it.
    pub fn api_callers(&self) -> Vec<&str> {
        ["anon", "authenticated", "public"]
            .into_iter()
            .filter(|r| self.executable_by.contains(*r))
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Extension {
    pub name: String,
    pub schema: String,
    pub site: Option<Site>,
}

/// A trigger: which function runs, before or after which commands, on which table.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub table: QualifiedName,
    pub name: String,
    pub function: QualifiedName,
    pub before: bool,
    pub events: Vec<PolicyCommand>,
    pub site: Option<Site>,
}

/// What a REVOKE names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeTarget {
    /// A function, with its argument count when the statement gives the argument list.
    Function(QualifiedName, Option<usize>),
    Table(QualifiedName),
}

impl RevokeTarget {
    /// Both name the same object (a function named without arguments names every overload).
    pub fn same_object(&self, other: &RevokeTarget) -> bool {
        match (self, other) {
            (RevokeTarget::Table(a), RevokeTarget::Table(b)) => a == b,
            (RevokeTarget::Function(a, x), RevokeTarget::Function(b, y)) => {
                a == b && (x.is_none() || y.is_none() || x == y)
            }
            _ => false,
        }
    }
}

/// A REVOKE from roles that can reach the API (anon, authenticated), as written.
#[derive(Debug, Clone)]
pub struct Revoke {
    pub target: RevokeTarget,
    pub roles: Vec<String>,
    /// For tables, the privileges revoked; for functions, EXECUTE.
    pub privileges: BTreeSet<Privilege>,
    pub site: Site,
    /// Roles a later GRANT on the same object names: the author chose who keeps access.
    pub regranted: Vec<String>,
}

/// `ALTER DEFAULT PRIVILEGES IN SCHEMA s REVOKE ...` of a privilege no per-schema default
/// grants, so nothing changes (per-schema defaults only add to the global ones).
#[derive(Debug, Clone)]
pub struct IneffectiveDefaultRevoke {
    pub schema: String,
    pub roles: Vec<String>,
    /// `functions` or `tables`.
    pub objects: &'static str,
    pub site: Site,
}

/// A statement that changes a table managed by Supabase (auth.*, storage.*).
#[derive(Debug, Clone)]
pub struct ManagedAlteration {
    pub table: QualifiedName,
    pub action: String,
    pub site: Site,
}

#[derive(Debug, Clone)]
pub struct Unparsed {
    pub site: Site,
    pub what: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub relations: BTreeMap<QualifiedName, Relation>,
    pub policies: Vec<Policy>,
    pub functions: Vec<Function>,
    pub extensions: Vec<Extension>,
    pub managed_alterations: Vec<ManagedAlteration>,
    pub unparsed: Vec<Unparsed>,
    pub triggers: Vec<Trigger>,
    pub revokes: Vec<Revoke>,
    pub ineffective_default_revokes: Vec<IneffectiveDefaultRevoke>,
    /// Positions in `functions` by name, built on the first look-up (with the number of
    /// functions then: functions are only appended, so a longer list means a stale index).
    function_index: OnceLock<(usize, HashMap<QualifiedName, Vec<usize>>)>,
    caller_checks: OnceLock<(usize, CallerChecks)>,
}

/// Which functions ask who the caller is, themselves or through a function they call.
#[derive(Debug, Clone, Default)]
pub struct CallerChecks {
    /// Names of the functions that do (an overload that does counts for the name): the
    /// membership helpers (`is_org_member(org_id)`) a policy or a definer function relies on.
    pub checkers: BTreeSet<QualifiedName>,
    /// Per function of `Model::functions`, in order: its body does.
    pub gated: Vec<bool>,
}

impl CallerChecks {
    fn of(functions: &[Function]) -> Self {
        let mut gated: Vec<bool> = functions
            .iter()
            .map(|f| crate::lint::body::checks_caller(&f.body))
            .collect();
        let calls: Vec<Vec<QualifiedName>> = functions
            .iter()
            .zip(&gated)
            .map(|(f, direct)| {
                if *direct {
                    Vec::new()
                } else {
                    called_names(&f.body)
                }
            })
            .collect();
        let mut checkers: BTreeSet<QualifiedName> = functions
            .iter()
            .zip(&gated)
            .filter(|(_, g)| **g)
            .map(|(f, _)| f.name.clone())
            .collect();
        loop {
            let before = checkers.len();
            for (i, f) in functions.iter().enumerate() {
                if !gated[i] && calls[i].iter().any(|c| checkers.contains(c)) {
                    gated[i] = true;
                    checkers.insert(f.name.clone());
                }
            }
            if checkers.len() == before {
                return CallerChecks { checkers, gated };
            }
        }
    }
}

/// The functions `text` calls (an unqualified call means `public`).
pub fn called_names(text: &str) -> Vec<QualifiedName> {
    crate::lint::expr::called_functions(text)
        .into_iter()
        .filter_map(|(parts, _, _)| QualifiedName::from_parts(&parts))
        .collect()
}

impl Model {
    /// Tables that have at least one policy.
    pub fn tables_with_policies(&self) -> std::collections::HashSet<&QualifiedName> {
        self.policies.iter().map(|p| &p.table).collect()
    }

    /// The functions (overloads) named `name`.
    pub fn function(&self, name: &QualifiedName) -> impl Iterator<Item = &Function> + '_ {
        let (len, index) = self.function_index.get_or_init(|| {
            let mut index: HashMap<QualifiedName, Vec<usize>> = HashMap::new();
            for (i, f) in self.functions.iter().enumerate() {
                index.entry(f.name.clone()).or_default().push(i);
            }
            (self.functions.len(), index)
        });
        let fresh = *len == self.functions.len();
        let indexed = fresh
            .then(|| index.get(name))
            .flatten()
            .into_iter()
            .flatten()
            .map(|&i| &self.functions[i]);
        let name = name.clone();
        let scanned = (!fresh)
            .then(|| self.functions.iter().filter(move |f| f.name == name))
            .into_iter()
            .flatten();
        indexed.chain(scanned)
    }

    /// Which functions ask who the caller is (computed once the functions are all known).
    pub fn caller_checks(&self) -> std::borrow::Cow<'_, CallerChecks> {
        let (len, checks) = self
            .caller_checks
            .get_or_init(|| (self.functions.len(), CallerChecks::of(&self.functions)));
        if *len == self.functions.len() {
            std::borrow::Cow::Borrowed(checks)
        } else {
            std::borrow::Cow::Owned(CallerChecks::of(&self.functions))
        }
    }

    pub fn policies_on<'a>(
        &'a self,
        table: &'a QualifiedName,
    ) -> impl Iterator<Item = &'a Policy> + 'a {
        self.policies.iter().filter(move |p| &p.table == table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(name: &str, body: &str) -> Function {
        Function {
            name: QualifiedName::new("public", name),
            args: String::new(),
            arity: 0,
            security_definer: true,
            search_path_set: true,
            language: "sql".into(),
            body: body.into(),
            returns_trigger: false,
            returns_boolean: false,
            executable_by: BTreeSet::new(),
            site: None,
        }
    }

    #[test]
    fn look_ups_see_functions_added_after_the_first() {
        let mut m = Model::default();
        m.functions.push(function("a", "select 1"));
        let a = QualifiedName::new("public", "a");
        let b = QualifiedName::new("public", "b");
        assert_eq!(m.function(&a).count(), 1);
        assert_eq!(m.function(&b).count(), 0);
        m.functions.push(function("b", "select 1"));
        m.functions.push(function("a", "select 2"));
        assert_eq!(m.function(&a).count(), 2);
        assert_eq!(m.function(&b).count(), 1);
    }

    #[test]
    fn a_caller_check_reaches_through_helpers() {
        let mut m = Model::default();
        m.functions
            .push(function("outer", "select public.helper()"));
        m.functions.push(function("helper", "select public.me()"));
        m.functions.push(function("me", "select auth.uid()"));
        m.functions.push(function("other", "select 1"));
        let checks = m.caller_checks();
        assert_eq!(checks.gated, [true, true, true, false]);
        assert!(checks
            .checkers
            .contains(&QualifiedName::new("public", "outer")));
        m.functions.push(function("late", "select public.outer()"));
        assert_eq!(m.caller_checks().gated, [true, true, true, false, true]);
    }
}
