//! Observed vs expected EXECUTE: each function x identity becomes a [`Cell`] that passes,
//! fails or is unspecified (a privilege read from the catalog is never inconclusive).

use super::cell::{Cell, CellOutcome};
use super::reach::Reach;
use super::subject::{Action, Subject};
use crate::probe::functions::FunctionAccess;
use crate::spec::function_specs::FunctionKey;
use crate::spec::{Identity, Specs};

/// Every function PostgREST can call x every identity (`only_identities`, when not empty).
pub fn judge_functions(
    functions: &[FunctionAccess],
    specs: &Specs,
    identities: &[Identity],
    only_identities: &[String],
) -> Vec<Cell> {
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
            cells.push(Cell {
                subject: Subject::function(f.function.clone(), f.security_definer),
                identity: identity.name.clone(),
                action: Action::Execute,
                expected: expected.map_or(Reach::Unspecified, |e| Reach::Execute(e.allow)),
                actual: Reach::Execute(actual),
                reached: None,
                allowed: None,
                outcome,
                detail,
                probes: Vec::new(),
                shapes: Vec::new(),
                suspicion: None,
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
