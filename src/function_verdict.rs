//! Observed vs expected EXECUTE: each function x identity becomes a [`FunctionCell`] that
//! passes, fails or is unspecified (a privilege read from the catalog is never inconclusive).

use serde::{Deserialize, Serialize};

use crate::matrix::FunctionRef;
use crate::probe::functions::FunctionAccess;
use crate::spec::function_specs::FunctionKey;
use crate::spec::{Identity, Specs};
use crate::verdict::CellOutcome;

pub use crate::spec::function_specs::{ALLOW, DENY};
pub const UNSPECIFIED: &str = "unspecified";

/// One function x identity, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCell {
    /// `schema.name(argument types)`.
    pub function: FunctionRef,
    pub identity: String,
    /// `allow`, `deny` or `unspecified`.
    pub expected: String,
    /// `allow` or `deny`.
    pub actual: String,
    pub outcome: CellOutcome,
    /// Why it failed, or the line to add when unspecified; empty on a pass.
    pub detail: String,
    /// Runs with its owner's rights (and so past RLS) whoever calls it.
    #[serde(default)]
    pub security_definer: bool,
}

fn word(allow: bool) -> &'static str {
    if allow {
        ALLOW
    } else {
        DENY
    }
}

/// Every function PostgREST can call x every identity (`only_identities`, when not empty).
pub fn judge_functions(
    functions: &[FunctionAccess],
    specs: &Specs,
    identities: &[Identity],
    only_identities: &[String],
) -> Vec<FunctionCell> {
    let mut cells = Vec::new();
    for f in functions.iter().filter(|f| f.callable) {
        for identity in identities
            .iter()
            .filter(|i| only_identities.is_empty() || only_identities.contains(&i.name))
        {
            let actual = f.execute.get(&identity.name).copied().unwrap_or(false);
            let expected = specs.functions().expectation(f, identity);
            let (outcome, detail) = match &expected {
                None => {
                    let overloaded = functions
                        .iter()
                        .filter(|g| {
                            g.callable
                                && g.function.schema == f.function.schema
                                && g.function.name == f.function.name
                        })
                        .count()
                        > 1;
                    (
                        CellOutcome::Unspecified,
                        unspecified_hint(f, identity, actual, overloaded),
                    )
                }
                Some(e) if e.allow == actual => (CellOutcome::Pass, String::new()),
                Some(_) => (CellOutcome::Fail, failure(f, identity, actual)),
            };
            cells.push(FunctionCell {
                function: f.function.clone(),
                identity: identity.name.clone(),
                expected: expected.map_or(UNSPECIFIED, |e| word(e.allow)).to_string(),
                actual: word(actual).to_string(),
                outcome,
                detail,
                security_definer: f.security_definer,
            });
        }
    }
    cells
}

fn failure(f: &FunctionAccess, identity: &Identity, allowed: bool) -> String {
    let name = f.function.display_name();
    if !allowed {
        return format!(
            "`{}` (role {}) cannot call {name}: the role has no EXECUTE on it, or no USAGE on schema {}",
            identity.name, identity.role, f.function.schema
        );
    }
    let mut text = format!(
        "`{}` (role {}) can call {name}",
        identity.name, identity.role
    );
    if f.public_execute {
        text.push_str(&format!(
            ": PUBLIC holds EXECUTE (every new function's default); `revoke execute on function {} from public` and grant it only to the roles that need it",
            f.function.qualified()
        ));
    } else {
        text.push_str(&format!(
            ": EXECUTE is granted to {} or a role it belongs to",
            identity.role
        ));
    }
    if f.security_definer {
        text.push_str("; it is SECURITY DEFINER, so it runs as its owner, past RLS");
    }
    text
}

fn unspecified_hint(
    f: &FunctionAccess,
    identity: &Identity,
    allowed: bool,
    overloaded: bool,
) -> String {
    let key = FunctionKey::of(&f.function, overloaded).text();
    let key = if key.contains(['.', '(']) {
        format!("\"{key}\"")
    } else {
        key
    };
    format!(
        "no spec; the database {} `{}` to call it: declare it under [functions] (`{key} = [...]`) or [function_defaults]; `rlsgate snapshot` writes it",
        if allowed { "allows" } else { "does not allow" },
        identity.name
    )
}
