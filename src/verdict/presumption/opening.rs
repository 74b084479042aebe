//! What opens a suspicious cell, with the migration line that made it: the policy that grants
//! the reach (found by the probes' provenance trace), the grant, RLS off, a view running as
//! its owner, a SECURITY DEFINER function and who may execute it.

use serde::{Deserialize, Serialize};

use super::facts::{Facts, FunctionFacts, Spot};
use crate::matrix::{FunctionRef, TableRef};
use crate::probe::provenance::Source;

/// One thing that opens a cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// `policy "Anyone reads"`, `grant SELECT to anon`, `row level security is off ...`.
    pub what: String,
    /// The migration file that made it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub line: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Opening {
    pub fn new(what: impl Into<String>, at: Option<&Spot>) -> Opening {
        Opening {
            what: what.into(),
            file: at.map(|s| s.file.clone()),
            line: at.map_or(0, |s| s.line),
        }
    }

    /// `file:line`, when known.
    pub fn place(&self) -> Option<String> {
        self.file.as_ref().map(|f| format!("{f}:{}", self.line))
    }

    /// `policy "x" (file:line)`.
    pub fn text(&self) -> String {
        match self.place() {
            Some(place) => format!("{} ({place})", self.what),
            None => self.what.clone(),
        }
    }
}

/// The openings of a relation cell, from the sources its provenance trace found: the policies
/// (located), the grant, and why RLS does not apply. Restrictive policies only limit, so they
/// are left out.
pub fn relation_openings(table: &TableRef, sources: &[Source], facts: &Facts) -> Vec<Opening> {
    let policy = |name: &str, what: String| {
        Opening::new(what, facts.policies.get(&(table.clone(), name.to_string())))
    };
    let past_rls = facts.relation(table).and_then(|r| r.past_rls.as_ref());
    let mut out = Vec::new();
    for source in sources {
        match source {
            Source::Policy { name, .. } => out.push(policy(name, source.text())),
            Source::Combined { names } => {
                out.extend(names.iter().map(|n| policy(n, format!("policy \"{n}\""))))
            }
            Source::RlsDisabled | Source::ViewOwner { .. } | Source::NoRls { .. } => out.push(
                Opening::new(source.text(), past_rls.and_then(|(_, at)| at.as_ref())),
            ),
            Source::Grant { .. } | Source::Bypass { .. } | Source::ViewInvoker => {
                out.push(Opening::new(source.text(), None))
            }
            Source::LimitedBy { .. } => {}
        }
    }
    if out.is_empty() {
        if let Some((why, at)) = past_rls {
            out.push(Opening::new(why.text(), at.as_ref()));
        }
    }
    out
}

/// The openings of an EXECUTE cell: the function is SECURITY DEFINER (where it was created),
/// and who holds EXECUTE.
pub fn function_openings(
    function: &FunctionRef,
    role: &str,
    facts: &FunctionFacts,
) -> Vec<Opening> {
    let mut out = vec![Opening::new(
        format!("SECURITY DEFINER function {}", function.display_name()),
        facts.created.as_ref(),
    )];
    out.push(Opening::new(
        if facts.public_execute {
            format!("EXECUTE held by PUBLIC (the default of every new function), so by {role}")
        } else {
            format!("EXECUTE granted to {role} (or a role it belongs to)")
        },
        None,
    ));
    out
}
