//! The typed reach of a cell: what a spec declares or a probe observes, in the vocabulary of
//! the specs (`none`, `own`, `all`, `{labels}`, `deny`, `any`, `allow`, `+transfer`). Every
//! report renders a reach through the one `Display` here and compares two through
//! [`Coverage`]; a new scope kind is a new variant handled in this file, not in each report.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Serialize, Serializer};

use super::subject::Action;
use crate::matrix::{InsertScope, Scope};

/// What a cell's identity may do (expected) or did (actual) to the cell's subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// No spec covers the cell (expected side).
    Unspecified,
    /// A probe did not test the policy (actual side).
    Inconclusive,
    /// A policy failed for this identity with an error that is not about the row (actual
    /// side): the request errors, no row is reached.
    PolicyError,
    /// SELECT, UPDATE, DELETE: which rows; `transfer`: an own row can be handed to another
    /// owner (shown only where it matters to the verdict).
    Rows { scope: Scope, transfer: bool },
    /// INSERT: whose rows may be created.
    Insert(InsertScope),
    /// INSERT accepted the rows of these probes (`other`, `other tenant`, ...), and no insert
    /// scope says exactly that: `other` alone is a row owned by another identity but not an
    /// own row.
    Inserted(BTreeSet<String>),
    /// EXECUTE: may call the function.
    Execute(bool),
    /// CALL (actual): the calls reached rows the identity cannot reach through the tables.
    Bypass(bool),
    /// CALL (expected): what a function's calls may read and write beyond the tables.
    Through { reads: Allowance, writes: Allowance },
}

/// What a function line declares its calls may reach past the tables (`reads`, `writes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowance {
    /// Nothing the tables would not let the caller reach (the line says nothing).
    Within,
    /// Rows in this scope of the table they live in (`own`, `tenant`, ...).
    Scope(Scope),
    /// Anything: a deliberate bypass.
    Bypass,
}

impl fmt::Display for Allowance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowance::Within => f.write_str("within"),
            Allowance::Scope(scope) => write_scope(scope, f),
            Allowance::Bypass => f.write_str("bypass"),
        }
    }
}

impl Allowance {
    /// The inverse of `Display`, and a spec's value of `reads` / `writes`.
    pub fn read(words: &str) -> Option<Allowance> {
        match words {
            "within" => Some(Allowance::Within),
            "bypass" => Some(Allowance::Bypass),
            w => read_scope(w).map(Allowance::Scope),
        }
    }
}

/// How much a reach covers, coarsely: what the heatmaps colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breadth {
    Nothing,
    Own,
    Some,
    Everything,
    Unknown,
}

impl Reach {
    pub fn rows(scope: Scope) -> Reach {
        Reach::Rows {
            scope,
            transfer: false,
        }
    }

    /// The inverse of `Display` for a cell of `action` (reading a JSON report back).
    pub fn read(action: Action, words: &str) -> Option<Reach> {
        match words {
            "unspecified" => return Some(Reach::Unspecified),
            "inconclusive" => return Some(Reach::Inconclusive),
            "error" => return Some(Reach::PolicyError),
            _ => {}
        }
        match action {
            Action::Execute => match words {
                "allow" => Some(Reach::Execute(true)),
                "deny" => Some(Reach::Execute(false)),
                _ => None,
            },
            Action::Call => match words {
                "bypass" => Some(Reach::Bypass(true)),
                "within" => Some(Reach::Bypass(false)),
                w => {
                    let (reads, writes) = w.strip_prefix("reads ")?.split_once(", writes ")?;
                    Some(Reach::Through {
                        reads: Allowance::read(reads)?,
                        writes: Allowance::read(writes)?,
                    })
                }
            },
            Action::Insert => read_insert_scope(words).map(Reach::Insert).or_else(|| {
                let targets = match words.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                    Some(list) => list.split(',').map(|t| t.trim().to_string()).collect(),
                    None if !words.is_empty() => BTreeSet::from([words.to_string()]),
                    None => return None,
                };
                Some(Reach::Inserted(targets))
            }),
            Action::Select | Action::Update | Action::Delete => {
                let (words, transfer) = match words.strip_suffix("+transfer") {
                    Some(w) => (w, true),
                    None => (words, false),
                };
                read_scope(words).map(|scope| Reach::Rows { scope, transfer })
            }
        }
    }

    /// The scope of a row reach, without its transfer.
    pub fn scope(&self) -> Option<&Scope> {
        match self {
            Reach::Rows { scope, .. } => Some(scope),
            _ => None,
        }
    }

    pub fn transfer(&self) -> bool {
        matches!(self, Reach::Rows { transfer: true, .. })
    }

    /// Nothing at all: no row, no insert, no call.
    pub fn is_nothing(&self) -> bool {
        matches!(
            self,
            Reach::Rows {
                scope: Scope::None,
                transfer: false
            } | Reach::Insert(InsertScope::Deny)
                | Reach::Execute(false)
                | Reach::Bypass(false)
        )
    }

    /// Every row (`all`), or rows owned by anyone (`any`).
    pub fn is_everything(&self) -> bool {
        matches!(
            self,
            Reach::Rows {
                scope: Scope::All,
                ..
            } | Reach::Insert(InsertScope::Any)
        )
    }

    pub fn breadth(&self) -> Breadth {
        match self {
            Reach::Unspecified | Reach::Inconclusive => Breadth::Unknown,
            Reach::PolicyError => Breadth::Nothing,
            Reach::Rows { scope, .. } => scope_breadth(scope),
            Reach::Insert(InsertScope::Deny) | Reach::Execute(false) | Reach::Bypass(false) => {
                Breadth::Nothing
            }
            Reach::Bypass(true) | Reach::Through { .. } => Breadth::Some,
            Reach::Insert(InsertScope::Own | InsertScope::Party(_)) => Breadth::Own,
            Reach::Insert(InsertScope::Tenant(_)) => Breadth::Some,
            Reach::Insert(InsertScope::Any) | Reach::Inserted(_) | Reach::Execute(true) => {
                Breadth::Everything
            }
        }
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reach::Unspecified => f.write_str("unspecified"),
            Reach::Inconclusive => f.write_str("inconclusive"),
            Reach::PolicyError => f.write_str("error"),
            Reach::Rows { scope, transfer } => {
                write_scope(scope, f)?;
                if *transfer {
                    f.write_str("+transfer")?;
                }
                Ok(())
            }
            Reach::Insert(scope) => f.write_str(&insert_word(scope)),
            Reach::Inserted(targets) if targets.len() == 1 => {
                f.write_str(targets.iter().next().map_or("", String::as_str))
            }
            Reach::Inserted(targets) => {
                write!(
                    f,
                    "{{{}}}",
                    targets.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            }
            Reach::Execute(true) => f.write_str("allow"),
            Reach::Execute(false) => f.write_str("deny"),
            Reach::Bypass(true) => f.write_str("bypass"),
            Reach::Bypass(false) => f.write_str("within"),
            Reach::Through { reads, writes } => write!(f, "reads {reads}, writes {writes}"),
        }
    }
}

/// As its words: `"own"`, `"{alice, public}"`, `"all+transfer"`.
impl Serialize for Reach {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A scope in the words of the specs: `none`, `own`, `all`, `{alice, public}`.
pub fn scope_words(scope: &Scope) -> String {
    Reach::rows(scope.clone()).to_string()
}

fn write_scope(scope: &Scope, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match scope {
        Scope::None => f.write_str("none"),
        Scope::Own => f.write_str("own"),
        Scope::All => f.write_str("all"),
        Scope::Tenant(None) => f.write_str("tenant"),
        Scope::Tenant(Some(role)) => write!(f, "tenant:{role}"),
        Scope::Party(column) => write!(f, "own:{column}"),
        Scope::Labels(_) | Scope::Union(_) => {
            f.write_str("{")?;
            for (i, part) in list_parts(scope).iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(part)?;
            }
            f.write_str("}")
        }
    }
}

/// The elements of a list scope as written: words first, then labels.
fn list_parts(scope: &Scope) -> Vec<String> {
    match scope {
        Scope::Labels(labels) => labels.iter().cloned().collect(),
        Scope::Union(parts) => parts.iter().flat_map(list_parts).collect(),
        word => vec![scope_words(word)],
    }
}

/// A scope word: `none`, `own`, `all`, `tenant`, `tenant:ROLE`, `own:COLUMN`.
fn read_word(word: &str) -> Option<Scope> {
    match word {
        "none" => Some(Scope::None),
        "own" => Some(Scope::Own),
        "all" => Some(Scope::All),
        "tenant" => Some(Scope::Tenant(None)),
        w => match (w.strip_prefix("tenant:"), w.strip_prefix("own:")) {
            (Some(role), _) if !role.is_empty() => Some(Scope::Tenant(Some(role.to_string()))),
            (_, Some(column)) if !column.is_empty() => Some(Scope::Party(column.to_string())),
            _ => None,
        },
    }
}

fn read_scope(words: &str) -> Option<Scope> {
    if let Some(list) = words.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
        let mut parts = Vec::new();
        let mut labels = BTreeSet::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match read_word(item) {
                Some(word) => parts.push(word),
                None => {
                    labels.insert(item.to_string());
                }
            }
        }
        if parts.is_empty() {
            return Some(Scope::Labels(labels));
        }
        if !labels.is_empty() {
            parts.push(Scope::Labels(labels));
        }
        return Some(Scope::Union(parts));
    }
    read_word(words)
}

/// An INSERT scope in the words of the specs: `deny`, `own`, `any`, `tenant`, `tenant:ROLE`,
/// `own:COLUMN`.
pub fn insert_word(scope: &InsertScope) -> String {
    match scope {
        InsertScope::Deny => "deny".to_string(),
        InsertScope::Own => "own".to_string(),
        InsertScope::Any => "any".to_string(),
        InsertScope::Tenant(None) => "tenant".to_string(),
        InsertScope::Tenant(Some(role)) => format!("tenant:{role}"),
        InsertScope::Party(column) => format!("own:{column}"),
    }
}

fn read_insert_scope(words: &str) -> Option<InsertScope> {
    match words {
        "deny" => Some(InsertScope::Deny),
        "own" => Some(InsertScope::Own),
        "any" => Some(InsertScope::Any),
        "tenant" => Some(InsertScope::Tenant(None)),
        w => match (w.strip_prefix("tenant:"), w.strip_prefix("own:")) {
            (Some(role), _) if !role.is_empty() => {
                Some(InsertScope::Tenant(Some(role.to_string())))
            }
            (_, Some(column)) if !column.is_empty() => Some(InsertScope::Party(column.to_string())),
            _ => None,
        },
    }
}

fn scope_breadth(scope: &Scope) -> Breadth {
    match scope {
        Scope::None => Breadth::Nothing,
        Scope::Own | Scope::Party(_) => Breadth::Own,
        Scope::All => Breadth::Everything,
        Scope::Labels(_) | Scope::Tenant(_) | Scope::Union(_) => Breadth::Some,
    }
}

/// The rows a scope stands for, for a sentence: `all rows`, `its own rows`, `the rows
/// labelled alice, public` (`None` reaches no row).
pub fn rows_phrase(scope: &Scope) -> Option<String> {
    match scope {
        Scope::None => None,
        Scope::Own => Some("its own rows".to_string()),
        Scope::All => Some("all rows".to_string()),
        Scope::Labels(labels) => Some(format!(
            "the rows labelled {}",
            labels.iter().cloned().collect::<Vec<_>>().join(", ")
        )),
        Scope::Tenant(None) => Some("the rows of its tenants".to_string()),
        Scope::Tenant(Some(role)) => Some(format!("the rows of the tenants where it is {role}")),
        Scope::Party(column) => Some(format!("the rows where it is {column}")),
        Scope::Union(parts) => Some(
            parts
                .iter()
                .filter_map(rows_phrase)
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    }
}

/// Whose rows an INSERT scope creates, for a sentence (`None`: inserts nothing).
pub fn insert_phrase(scope: &InsertScope) -> Option<String> {
    match scope {
        InsertScope::Deny => None,
        InsertScope::Own => Some("its own rows".to_string()),
        InsertScope::Any => Some("rows owned by anyone".to_string()),
        InsertScope::Tenant(None) => Some("rows of its tenants".to_string()),
        InsertScope::Tenant(Some(role)) => Some(format!("rows of the tenants where it is {role}")),
        InsertScope::Party(column) => Some(format!("rows where it is {column}")),
    }
}

/// What a reach covers, with the row labels it stands for when they are known: what two
/// reaches are compared by (the diff of two runs, a cell's actual against its expected).
#[derive(Debug, Clone, Copy)]
pub struct Coverage<'a> {
    reach: &'a Reach,
    labels: Option<&'a BTreeSet<String>>,
}

enum Extent<'a> {
    Everything,
    Labels(std::borrow::Cow<'a, BTreeSet<String>>),
    /// A scope whose rows were not recorded (a report of an older rlsgate): comparable only
    /// with the same scope, with nothing and with everything.
    Opaque(&'a Scope),
    Unknown,
}

impl<'a> Coverage<'a> {
    pub fn new(reach: &'a Reach, labels: Option<&'a BTreeSet<String>>) -> Coverage<'a> {
        Coverage { reach, labels }
    }

    pub fn reach(&self) -> &Reach {
        self.reach
    }

    fn extent(&self) -> Extent<'a> {
        use std::borrow::Cow;
        let targets = |names: &[&str]| {
            Extent::Labels(Cow::Owned(names.iter().map(|s| s.to_string()).collect()))
        };
        match self.reach {
            Reach::Unspecified | Reach::Inconclusive => Extent::Unknown,
            Reach::PolicyError => targets(&[]),
            Reach::Rows {
                scope: Scope::All, ..
            } => Extent::Everything,
            Reach::Rows {
                scope: Scope::None, ..
            } => targets(&[]),
            Reach::Rows { scope, .. } => match (self.labels, scope) {
                (Some(labels), _) => Extent::Labels(Cow::Borrowed(labels)),
                (None, Scope::Labels(labels)) => Extent::Labels(Cow::Borrowed(labels)),
                (None, scope) => Extent::Opaque(scope),
            },
            Reach::Insert(InsertScope::Deny) | Reach::Execute(false) | Reach::Bypass(false) => {
                targets(&[])
            }
            Reach::Bypass(true) => match self.labels {
                Some(labels) => Extent::Labels(Cow::Borrowed(labels)),
                None => Extent::Everything,
            },
            Reach::Through { .. } => Extent::Unknown,
            Reach::Insert(InsertScope::Own) => targets(&["own"]),
            Reach::Insert(InsertScope::Party(column)) => {
                Extent::Labels(Cow::Owned([format!("own:{column}")].into()))
            }
            Reach::Insert(InsertScope::Tenant(_)) => targets(&["own", "other"]),
            Reach::Inserted(set) => Extent::Labels(Cow::Borrowed(set)),
            Reach::Insert(InsertScope::Any) | Reach::Execute(true) => Extent::Everything,
        }
    }

    /// `self` grants something `other` does not (`None`: cannot tell).
    pub fn exceeds(&self, other: &Coverage) -> Option<bool> {
        let (a, b) = (self.extent(), other.extent());
        if matches!(a, Extent::Unknown) || matches!(b, Extent::Unknown) {
            return None;
        }
        if self.reach.transfer() && !other.reach.transfer() {
            return Some(true);
        }
        match (a, b) {
            (Extent::Everything, Extent::Everything) => Some(false),
            (Extent::Everything, _) => Some(true),
            (_, Extent::Everything) => Some(false),
            (Extent::Labels(a), Extent::Labels(b)) => Some(!a.is_subset(&b)),
            (Extent::Opaque(a), Extent::Opaque(b)) if a == b => Some(false),
            (Extent::Opaque(_), Extent::Labels(b)) if b.is_empty() => Some(true),
            (Extent::Labels(a), Extent::Opaque(_)) if a.is_empty() => Some(false),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_reach() -> Vec<(Action, Reach)> {
        let labels: BTreeSet<String> = ["alice".to_string(), "public".to_string()].into();
        let mut all = vec![
            (Action::Select, Reach::Unspecified),
            (Action::Select, Reach::Inconclusive),
            (Action::Select, Reach::PolicyError),
            (
                Action::Insert,
                Reach::Inserted(["other".to_string()].into()),
            ),
            (
                Action::Insert,
                Reach::Inserted(["other".to_string(), "other tenant".to_string()].into()),
            ),
            (Action::Execute, Reach::Execute(true)),
            (Action::Execute, Reach::Execute(false)),
        ];
        for scope in [
            Scope::None,
            Scope::Own,
            Scope::All,
            Scope::Labels(labels.clone()),
            Scope::Tenant(None),
            Scope::Tenant(Some("admin".into())),
            Scope::Party("host_id".into()),
            Scope::Union(vec![
                Scope::Own,
                Scope::Tenant(Some("admin".into())),
                Scope::Labels(labels),
            ]),
        ] {
            for transfer in [false, true] {
                all.push((
                    Action::Update,
                    Reach::Rows {
                        scope: scope.clone(),
                        transfer,
                    },
                ));
            }
        }
        for scope in [
            InsertScope::Deny,
            InsertScope::Own,
            InsertScope::Any,
            InsertScope::Tenant(None),
            InsertScope::Tenant(Some("admin".into())),
            InsertScope::Party("guest_id".into()),
        ] {
            all.push((Action::Insert, Reach::Insert(scope)));
        }
        all
    }

    #[test]
    fn words_read_back_as_the_same_reach() {
        for (action, reach) in every_reach() {
            let words = reach.to_string();
            assert_eq!(Reach::read(action, &words), Some(reach), "{words}");
        }
        assert_eq!(Reach::read(Action::Select, "sometimes"), None);
        assert_eq!(
            Reach::read(Action::Update, "{alice, public}+transfer")
                .unwrap()
                .to_string(),
            "{alice, public}+transfer"
        );
    }

    #[test]
    fn coverage_orders_reaches() {
        let read = |action, w: &str| Reach::read(action, w).unwrap();
        let rows = |w: &str| read(Action::Select, w);
        let exceeds =
            |a: &Reach, b: &Reach| Coverage::new(a, None).exceeds(&Coverage::new(b, None));
        assert_eq!(exceeds(&rows("all"), &rows("own")), Some(true));
        assert_eq!(exceeds(&rows("own"), &rows("none")), Some(true));
        assert_eq!(exceeds(&rows("own"), &rows("all")), Some(false));
        assert_eq!(exceeds(&rows("own"), &rows("own")), Some(false));
        assert_eq!(exceeds(&rows("own+transfer"), &rows("own")), Some(true));
        assert_eq!(exceeds(&rows("inconclusive"), &rows("none")), None);
        assert_eq!(exceeds(&rows("{alice, public}"), &rows("own")), None);
        let insert = |w: &str| read(Action::Insert, w);
        assert_eq!(exceeds(&insert("any"), &insert("own")), Some(true));
        assert_eq!(exceeds(&insert("own"), &insert("deny")), Some(true));
        assert_eq!(exceeds(&insert("other"), &insert("own")), Some(true));

        let own: BTreeSet<String> = ["alice".to_string()].into();
        let some: BTreeSet<String> = ["alice".to_string(), "public".to_string()].into();
        let (a, b) = (rows("{alice, public}"), rows("own"));
        assert_eq!(
            Coverage::new(&a, Some(&some)).exceeds(&Coverage::new(&b, Some(&own))),
            Some(true)
        );
        assert_eq!(
            Coverage::new(&b, Some(&own)).exceeds(&Coverage::new(&a, Some(&some))),
            Some(false)
        );
    }
}
