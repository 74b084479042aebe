//! The presumption for functions: a SECURITY DEFINER function runs as its owner, past RLS, so
//! anon calling one, or any user calling one that never asks who is calling, is suspicious
//! unless a spec declares it. EXECUTE cells are judged from catalog facts; CALL cells from what
//! the calls really reached: a bypass of the tables' RLS no spec declares is suspicious.

use super::facts::FunctionFacts;
use super::{who, Breach, Suspicion, Who};
use crate::spec::Identity;
use crate::verdict::{Action, Cell, Reach};

pub(super) fn suspicion(
    cell: &Cell,
    identity: &Identity,
    facts: &FunctionFacts,
) -> Option<Suspicion> {
    if cell.action == Action::Call {
        return (cell.actual == Reach::Bypass(true) && who(identity) != Who::Trusted).then(|| {
            Suspicion::new(
                Breach::CallBypass,
                cell.detail
                    .trim_start_matches("no spec; ")
                    .split(": declare what")
                    .next()
                    .unwrap_or_default(),
            )
        });
    }
    if cell.actual != Reach::Execute(true) || !facts.security_definer {
        return None;
    }
    let name = identity.name.as_str();
    let function = cell.subject.display_name();
    let dynamic = if facts.dynamic_sql {
        " and runs dynamic SQL (EXECUTE of a string)"
    } else {
        ""
    };
    match who(identity) {
        Who::Trusted => None,
        Who::Visitor => Some(Suspicion::new(
            Breach::AnonCall,
            format!(
                "{name} can call {function}, a SECURITY DEFINER function: it runs as its owner, past RLS{dynamic}"
            ),
        )),
        Who::User if !facts.checks_caller => Some(Suspicion::new(
            Breach::UserCall,
            format!(
                "{name} can call {function}, a SECURITY DEFINER function that never asks who is calling (no auth.uid(), no JWT claim, no helper that reads them){dynamic}"
            ),
        )),
        Who::User => None,
    }
}
