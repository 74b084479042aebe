//! The shared vocabulary of the access matrix: commands, scopes, probe outcomes and cells.
//! The probe stage produces [`Observation`]s, the spec stage produces [`Expectation`]s, and
//! the verdict stage pairs them into [`Cell`]s that every reporter reads.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Select,
    Insert,
    Update,
    Delete,
}

impl Command {
    pub const ALL: [Command; 4] = [
        Command::Select,
        Command::Insert,
        Command::Update,
        Command::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Command::Select => "select",
            Command::Insert => "insert",
            Command::Update => "update",
            Command::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Command> {
        Command::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A table or view, schema-qualified.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TableRef {
    pub schema: String,
    pub name: String,
}

impl TableRef {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        TableRef {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// `public.x` is shown as `x`; other schemas keep their prefix.
    pub fn display_name(&self) -> String {
        if self.schema == "public" {
            self.name.clone()
        } else {
            format!("{}.{}", self.schema, self.name)
        }
    }

    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

pub use crate::sql::quote_ident;

/// Which rows a SELECT, UPDATE or DELETE reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    None,
    Own,
    All,
    /// An explicit set of row labels (`alice`, `bob`, `public`, `t1`, or fixture labels).
    Labels(BTreeSet<String>),
    /// Rows where the identity is the party in this owner column (`own:host_id`).
    Party(String),
    /// Rows of the tenants the identity belongs to (`tenant`), or of those where it has this
    /// role (`tenant:admin`).
    Tenant(Option<String>),
    /// The union of several scopes: a list mixing scope words and labels.
    Union(Vec<Scope>),
}

/// What an INSERT may create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InsertScope {
    Deny,
    /// A row owned by the identity (in its tenant) is accepted; another user's, or one in
    /// another tenant, is not.
    Own,
    /// As `Own`, with the identity as the party in this owner column.
    Party(String),
    /// Rows into the identity's tenants (with this role there, when given) are accepted; into
    /// another tenant, not.
    Tenant(Option<String>),
    Any,
}

/// How one probe statement ended. `Allowed`, `Filtered`, `DeniedRls` and `DeniedPrivilege`
/// say what the policy lets through; `PolicyError` says the policy itself fails for this caller
/// (an error that is not about the row: a privilege on another relation, a raise in a helper,
/// recursion); `Inconclusive` never counts as denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Allowed { rows: u64 },
    Filtered,
    DeniedRls { message: String },
    DeniedPrivilege { message: String },
    PolicyError { sqlstate: String, message: String },
    Inconclusive { sqlstate: String, message: String },
}

impl Outcome {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Outcome::Allowed { rows } if *rows > 0)
    }

    /// Lost a lock race with a concurrent probe (deadlock, serialization failure): to be
    /// re-run, never reported.
    pub fn is_lock_conflict(&self) -> bool {
        const RACES: [&str; 3] = ["40P01", "40001", "55P03"];
        match self {
            Outcome::Inconclusive { sqlstate, message } => {
                RACES.contains(&sqlstate.as_str())
                    // A prelude or impersonation that lost the race: `probe prelude failed (40P01): ...`
                    || (sqlstate == "setup"
                        && RACES.iter().any(|r| message.contains(&format!("failed ({r})"))))
            }
            _ => false,
        }
    }

    pub fn is_conclusive(&self) -> bool {
        !matches!(self, Outcome::Inconclusive { .. })
    }

    pub fn short(&self) -> &'static str {
        match self {
            Outcome::Allowed { .. } => "allowed",
            Outcome::Filtered => "filtered",
            Outcome::DeniedRls { .. } => "denied by RLS",
            Outcome::DeniedPrivilege { .. } => "denied by privilege",
            Outcome::PolicyError { .. } => "policy error",
            Outcome::Inconclusive { .. } => "inconclusive",
        }
    }
}

/// One probe statement of a cell: what it targeted (`alice`, `own`, `other`, `transfer`,
/// a fixture label) and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub target: String,
    pub outcome: Outcome,
}

/// What the database really did for one table x identity x command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub table: TableRef,
    pub identity: String,
    pub command: Command,
    /// Labels of the rows the identity read (SELECT) or changed (UPDATE, DELETE).
    pub reached: BTreeSet<String>,
    /// INSERT: the targets of the insert probes that were accepted (`own`, `other`, `any`,
    /// `other tenant`, `own:<party>`).
    pub inserted: BTreeSet<String>,
    /// UPDATE: an own row could be handed to another owner, or a row of the identity's tenant
    /// moved into another tenant.
    pub transfer: bool,
    pub probes: Vec<Probe>,
    /// The request shapes supabase-js also sends (see [`shape`]), probed beside the plain
    /// statements: reported where they differ, never deciding the cell.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shapes: Vec<Probe>,
}

/// Request shapes: what `.insert().select()` and `.upsert()` send, beside the plain statement.
pub mod shape {
    /// The own row inserted with `RETURNING` (`.insert().select()`): the SELECT policies must
    /// show the new row too.
    pub const INSERT_RETURNING: &str = "insert returning";
    /// `upsert:<label>`: the identity's own row sent again as `INSERT ... ON CONFLICT DO
    /// UPDATE` (`.upsert()`), which needs the INSERT, UPDATE and SELECT policies.
    pub const UPSERT: &str = "upsert:";

    pub fn is_shape(target: &str) -> bool {
        target == INSERT_RETURNING || target.starts_with(UPSERT)
    }
}

impl Observation {
    pub fn inconclusive(&self) -> Option<&Probe> {
        self.probes
            .iter()
            .find(|p| !p.outcome.is_conclusive() && !self.superseded(p))
    }

    /// An unfiltered transfer (every reachable row handed over at once) can only show that a
    /// row may be moved: once the per-row transfer moved one, its failure (the moved rows
    /// meeting on a unique key) leaves nothing undecided.
    fn superseded(&self, probe: &Probe) -> bool {
        probe.target == "transfer unfiltered"
            && self
                .probes
                .iter()
                .any(|p| p.target == "transfer" && matches!(p.outcome, Outcome::Allowed { .. }))
    }

    /// The first probe that failed inside a policy.
    pub fn policy_error(&self) -> Option<&Probe> {
        self.probes
            .iter()
            .find(|p| matches!(p.outcome, Outcome::PolicyError { .. }))
    }

    /// An insert probe aimed at `target` ran.
    pub fn insert_probed(&self, target: &str) -> bool {
        self.probes.iter().any(|p| p.target == target)
    }

    pub fn insert_accepted(&self, target: &str) -> bool {
        self.inserted.contains(target)
    }
}

/// Targets of the INSERT probes.
pub mod insert_target {
    /// A row owned by the identity (owned by nobody, for an identity without a user id), in
    /// its tenant.
    pub const OWN: &str = "own";
    /// A row owned by another user (in the identity's tenant, for a tenant-scoped table).
    pub const OTHER: &str = "other";
    /// A row of a table nobody owns.
    pub const ANY: &str = "any";
    /// A row (owned by the identity) in a tenant it does not belong to.
    pub const OTHER_TENANT: &str = "other tenant";
    /// An own row whose author column (`sender_id`, `created_by`...) names another user: a
    /// row written in someone else's name.
    pub const FORGED: &str = "forged";
    /// A copy (with a new key) of a row the identity owns, tried when the synthesized own row
    /// was rejected: accepted, the policy checked the row's data, not its owner.
    pub const OWN_COPY: &str = "own copy";
    /// `own:<party>`: the identity as the party in that owner column, other users elsewhere.
    pub fn party(column: &str) -> String {
        format!("own:{column}")
    }
}

/// Who a placed row belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowFacts {
    /// The identity (or synthesized member) in each owner column, in the order of
    /// [`TableRows::parties`]; empty for a row owned by nobody.
    pub owners: Vec<Option<String>>,
    /// The tenant the row lives in, for a tenant-scoped table.
    pub tenant: Option<String>,
}

impl RowFacts {
    pub fn owned_by(owner: Option<String>) -> RowFacts {
        RowFacts {
            owners: owner.into_iter().map(Some).collect(),
            tenant: None,
        }
    }

    pub fn is_owner(&self, identity: &str) -> bool {
        self.owners.iter().any(|o| o.as_deref() == Some(identity))
    }

    /// The first owner: the only one, or the first party.
    pub fn owner(&self) -> Option<&str> {
        self.owners.iter().flatten().next().map(String::as_str)
    }
}

/// The rows the probe engine put in one table, by label, and who owns each.
///
/// Labels are identity names for synthesized rows owned by that identity (`alice`, `bob`),
/// `public` for rows owned by nobody, tenant names for rows of a tenant with no user owner
/// (`t1`), parties joined by `&` (`alice&bob`), or fixture labels. The verdict resolves
/// `own`, `tenant` and the other scope words to labels through each row's [`RowFacts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRows {
    pub table: TableRef,
    pub labels: std::collections::BTreeMap<String, RowFacts>,
    /// The table has an owner (a column, parties, or a parent it inherits ownership from).
    pub owned: bool,
    /// The owner columns naming each party (`host_id`, `guest_id`); one for a single owner.
    pub parties: Vec<String>,
    /// The table's rows live in tenants.
    pub tenant_scoped: bool,
}

impl TableRows {
    /// Rows with at most one owner each and no tenant.
    pub fn single_owner(
        table: TableRef,
        owned: bool,
        labels: impl IntoIterator<Item = (String, Option<String>)>,
    ) -> TableRows {
        TableRows {
            table,
            labels: labels
                .into_iter()
                .map(|(label, owner)| (label, RowFacts::owned_by(owner)))
                .collect(),
            owned,
            parties: Vec::new(),
            tenant_scoped: false,
        }
    }

    pub fn owned_by(&self, identity: &str) -> BTreeSet<String> {
        self.labels
            .iter()
            .filter(|(_, facts)| facts.is_owner(identity))
            .map(|(label, _)| label.clone())
            .collect()
    }

    /// Rows where `identity` is the party in owner column `party`.
    pub fn owned_as(&self, identity: &str, party: &str) -> BTreeSet<String> {
        let Some(i) = self.parties.iter().position(|p| p == party) else {
            return BTreeSet::new();
        };
        self.labels
            .iter()
            .filter(|(_, facts)| facts.owners.get(i).and_then(|o| o.as_deref()) == Some(identity))
            .map(|(label, _)| label.clone())
            .collect()
    }

    /// Rows living in one of `tenants`.
    pub fn in_tenants<'t>(&self, tenants: impl IntoIterator<Item = &'t str>) -> BTreeSet<String> {
        let tenants: BTreeSet<&str> = tenants.into_iter().collect();
        self.labels
            .iter()
            .filter(|(_, facts)| facts.tenant.as_deref().is_some_and(|t| tenants.contains(t)))
            .map(|(label, _)| label.clone())
            .collect()
    }

    pub fn all_labels(&self) -> BTreeSet<String> {
        self.labels.keys().cloned().collect()
    }
}

/// A function by schema, name and argument types: `public.promote_user(uuid)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct FunctionRef {
    pub schema: String,
    pub name: String,
    /// The argument types as Postgres prints them, `uuid, text`.
    pub args: String,
}

impl FunctionRef {
    /// The signature as SQL: quoted names, e.g. for `regprocedure` or `revoke ... on function`.
    pub fn qualified(&self) -> String {
        format!(
            "{}.{}({})",
            quote_ident(&self.schema),
            quote_ident(&self.name),
            self.args
        )
    }

    /// `public.f(uuid)` is shown as `f(uuid)`; other schemas keep their prefix.
    pub fn display_name(&self) -> String {
        if self.schema == "public" {
            format!("{}({})", self.name, self.args)
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for FunctionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}({})", self.schema, self.name, self.args)
    }
}

impl From<FunctionRef> for String {
    fn from(f: FunctionRef) -> String {
        f.to_string()
    }
}

impl TryFrom<String> for FunctionRef {
    type Error = String;

    fn try_from(text: String) -> Result<FunctionRef, String> {
        let bad = || format!("`{text}` is not `schema.name(argument types)`");
        let (head, args) = text.split_once('(').ok_or_else(bad)?;
        let args = args.strip_suffix(')').ok_or_else(bad)?;
        let (schema, name) = head.split_once('.').ok_or_else(bad)?;
        Ok(FunctionRef {
            schema: schema.to_string(),
            name: name.to_string(),
            args: args.to_string(),
        })
    }
}
