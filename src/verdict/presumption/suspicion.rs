//! What a suspicious cell breaks and why: the breach, ranked worst first, and what opens it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::opening::Opening;

/// What a suspicious cell breaks, worst first: the order reports rank suspicious cells by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Breach {
    /// anon inserts, updates or deletes rows.
    AnonWrite,
    /// anon reads rows that belong to a user or a tenant (or credentials).
    AnonRead,
    /// anon can call a SECURITY DEFINER function, which runs past RLS.
    AnonCall,
    /// Calling a function reads or writes rows the caller cannot reach through the tables.
    CallBypass,
    /// A user writes rows of a tenant it does not belong to, or moves a row there.
    CrossTenantWrite,
    /// A user reads rows of a tenant it does not belong to.
    CrossTenantRead,
    /// A user writes another user's rows, inserts a row in another user's name, or hands its
    /// own row to someone else.
    CrossUserWrite,
    /// A user reads another user's rows (or credentials nobody owns).
    CrossUserRead,
    /// Any signed-in user can call a SECURITY DEFINER function that never asks who is calling.
    UserCall,
    /// A user changes or deletes rows nobody owns (reference data every user shares).
    SharedWrite,
}

impl Breach {
    pub const ALL: [Breach; 10] = [
        Breach::AnonWrite,
        Breach::AnonRead,
        Breach::AnonCall,
        Breach::CallBypass,
        Breach::CrossTenantWrite,
        Breach::CrossTenantRead,
        Breach::CrossUserWrite,
        Breach::CrossUserRead,
        Breach::UserCall,
        Breach::SharedWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Breach::AnonWrite => "anon-write",
            Breach::AnonRead => "anon-read",
            Breach::AnonCall => "anon-call",
            Breach::CallBypass => "call-bypass",
            Breach::CrossTenantWrite => "cross-tenant-write",
            Breach::CrossTenantRead => "cross-tenant-read",
            Breach::CrossUserWrite => "cross-user-write",
            Breach::CrossUserRead => "cross-user-read",
            Breach::UserCall => "user-call",
            Breach::SharedWrite => "shared-write",
        }
    }

    /// 1 for the worst kind.
    pub fn rank(self) -> usize {
        Breach::ALL.iter().position(|b| *b == self).unwrap_or(0) + 1
    }

    /// What it means, for a heading: `anon writes rows`.
    pub fn title(self) -> &'static str {
        match self {
            Breach::AnonWrite => "anon writes rows",
            Breach::AnonRead => "anon reads rows of users or tenants",
            Breach::AnonCall => "anon calls a SECURITY DEFINER function",
            Breach::CallBypass => "a function call reaches rows the tables refuse the caller",
            Breach::CrossTenantWrite => "a user writes into another tenant",
            Breach::CrossTenantRead => "a user reads another tenant's rows",
            Breach::CrossUserWrite => "a user writes another user's rows",
            Breach::CrossUserRead => "a user reads another user's rows",
            Breach::UserCall => "any user calls a SECURITY DEFINER function with no caller check",
            Breach::SharedWrite => "a user changes rows nobody owns",
        }
    }
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a cell no spec covers is suspicious.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspicion {
    pub breach: Breach,
    /// What breaks the presumption, in one sentence: `anon reads rows owned by alice, bob`.
    pub reason: String,
    /// What opens the cell: a policy, a grant, RLS off, a view running as its owner, each
    /// with the migration line that made it when known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opened_by: Vec<Opening>,
}

impl Suspicion {
    pub fn new(breach: Breach, reason: impl Into<String>) -> Suspicion {
        Suspicion {
            breach,
            reason: reason.into(),
            opened_by: Vec::new(),
        }
    }

    /// `reason (opened by policy "x" at file:line; grant SELECT to anon)`.
    pub fn text(&self) -> String {
        if self.opened_by.is_empty() {
            return self.reason.clone();
        }
        let opened: Vec<String> = self.opened_by.iter().map(Opening::text).collect();
        format!("{}; opened by {}", self.reason, opened.join("; "))
    }
}
