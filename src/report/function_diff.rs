//! `rlsgate diff` for functions: who gained or lost EXECUTE between two JSON reports. A
//! function that appears callable is widened access, one that disappears narrowed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::diff::Change;
use super::matrix::Report;
use crate::function_verdict::ALLOW;
use crate::matrix::FunctionRef;

#[derive(Debug, Clone, Serialize)]
pub struct FunctionChange {
    pub function: FunctionRef,
    pub identity: String,
    /// `allow` or `deny`; `None`: the function (or identity) is new.
    pub old: Option<String>,
    /// `None`: the function (or identity) is gone.
    pub new: Option<String>,
    pub change: Change,
    /// The sentence for a reviewer.
    pub message: String,
}

/// Compares the `actual` of every function x identity; a missing cell counts as `deny`.
pub fn diff_functions(old: &Report, new: &Report) -> Vec<FunctionChange> {
    type Key = (FunctionRef, String);
    let index = |r: &Report| -> BTreeMap<Key, String> {
        r.functions
            .iter()
            .map(|c| ((c.function.clone(), c.identity.clone()), c.actual.clone()))
            .collect()
    };
    let (a, b) = (index(old), index(new));
    let keys: BTreeSet<&Key> = a.keys().chain(b.keys()).collect();
    let mut changes = Vec::new();
    for key in keys {
        let (function, identity) = key;
        let (o, n) = (a.get(key), b.get(key));
        let allowed = |s: Option<&String>| s.is_some_and(|s| s == ALLOW);
        if allowed(o) == allowed(n) {
            continue;
        }
        let name = function.display_name();
        let (change, message) = match (o, n) {
            (_, Some(_)) if allowed(n) && o.is_none() => {
                (Change::Widened, format!("new: {identity} can call {name}"))
            }
            (_, _) if allowed(n) => (Change::Widened, format!("{identity} can now call {name}")),
            (_, None) => (
                Change::Narrowed,
                format!("gone: {identity} could call {name}"),
            ),
            _ => (
                Change::Narrowed,
                format!("{identity} can no longer call {name}"),
            ),
        };
        changes.push(FunctionChange {
            function: function.clone(),
            identity: identity.clone(),
            old: o.cloned(),
            new: n.cloned(),
            change,
            message,
        });
    }
    changes.sort_by(|x, y| {
        (x.change, &x.function, &x.identity).cmp(&(y.change, &y.function, &y.identity))
    });
    changes
}
