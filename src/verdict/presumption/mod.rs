//! The presumption: what a project is taken to want where no spec says anything. Every cell no
//! spec covers is judged against it, and a cell that breaks it is *suspicious* rather than
//! merely unspecified: anon reads nothing that belongs to a user or a tenant and writes
//! nothing; a signed-in user reads, changes, inserts or hands away no row of another user or
//! another tenant; the service role reaches everything; rows nobody owns are public reference
//! data. docs/specs.md ("The presumption") is the user's version of this file.
//!
//! The rules read the inferred row model (who owns each placed row, which tenant it lives in)
//! and catalog [`Facts`] (RLS off, views running as their owner, names that say "secret",
//! SECURITY DEFINER functions and whether they ask who is calling). Each suspicion is ranked
//! by its [`Breach`] and carries what opens the cell ([`Opening`]), filled in by the caller
//! from the provenance of the probes.

pub mod adversary;
mod facts;
mod function;
mod opening;
mod relation;
pub mod suspicion;

pub use facts::{Facts, FunctionFacts, PastRls, RelationFacts};
pub use opening::{function_openings, relation_openings, Opening};
pub use suspicion::{Breach, Suspicion};

use super::cell::{Cell, CellOutcome};
use crate::matrix::{Observation, TableRows};
use crate::probe::provenance::CellProvenance;
use crate::spec::Identity;

/// What the presumption reads besides the cells: the probes' observations, the rows they were
/// aimed at, the identities as probed (with their tenants), the synthesized tenant members
/// (owners of rows too), and catalog facts.
#[derive(Debug, Clone, Copy)]
pub struct Ground<'a> {
    pub observations: &'a [Observation],
    pub rows: &'a [TableRows],
    pub identities: &'a [Identity],
    pub members: &'a [Identity],
    pub facts: &'a Facts,
}

/// Judge every unspecified cell against the presumption; those that break it become
/// suspicious. Cells a spec covers, and inconclusive ones, are left as they are.
pub fn presume(cells: &mut [Cell], ground: &Ground) {
    let people: Vec<&Identity> = ground.identities.iter().chain(ground.members).collect();
    for cell in cells
        .iter_mut()
        .filter(|c| c.outcome == CellOutcome::Unspecified)
    {
        let Some(identity) = ground.identities.iter().find(|i| i.name == cell.identity) else {
            continue;
        };
        let suspicion = match (cell.relation(), cell.command()) {
            (Some(table), Some(command)) => {
                let obs = ground.observations.iter().find(|o| {
                    &o.table == table && o.identity == cell.identity && o.command == command
                });
                let rows = ground.rows.iter().find(|r| &r.table == table);
                match (obs, rows) {
                    (Some(obs), Some(rows)) => relation::suspicion(
                        obs,
                        rows,
                        identity,
                        &people,
                        ground.facts.relation(table),
                    )
                    .map(|mut s| {
                        s.opened_by = relation_openings(table, &[], ground.facts);
                        s
                    }),
                    _ => None,
                }
            }
            _ => cell.subject.as_function().and_then(|f| {
                let facts = ground.facts.function(f)?;
                function::suspicion(cell, identity, facts).map(|mut s| {
                    s.opened_by = function_openings(f, &identity.role, facts);
                    s
                })
            }),
        };
        if let Some(suspicion) = suspicion {
            mark(cell, suspicion);
        }
    }
}

fn mark(cell: &mut Cell, suspicion: Suspicion) {
    cell.outcome = CellOutcome::Suspicious;
    let hint = cell.detail.trim_start_matches("no spec; ");
    // a call cell's detail already opens with what the suspicion says
    let hint = hint
        .strip_prefix(suspicion.reason.as_str())
        .map_or(hint, |rest| rest.trim_start_matches([':', ' ']));
    cell.detail = format!(
        "{}; no spec covers this cell: fix it, or declare it if intended ({hint})",
        suspicion.reason,
    );
    cell.suspicion = Some(suspicion);
}

/// Suspicious cells, worst first (then in the order given).
pub fn ranked(cells: &[Cell]) -> Vec<&Cell> {
    let mut out: Vec<&Cell> = cells.iter().filter(|c| c.suspicion.is_some()).collect();
    out.sort_by_key(|c| c.suspicion.as_ref().map(|s| s.breach));
    out
}

/// Who an identity is to the presumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    /// The service role (or a role that bypasses RLS): reaches everything.
    Trusted,
    /// anon: a visitor holding the project's public key.
    Visitor,
    /// A signed-in user (with a user id).
    User,
}

/// Roles the presumption trusts with everything: Supabase's service role and the roles that
/// skip RLS.
const TRUSTED_ROLES: [&str; 3] = ["service_role", "postgres", "supabase_admin"];

pub(crate) fn who(identity: &Identity) -> Who {
    if TRUSTED_ROLES.contains(&identity.role.as_str()) {
        Who::Trusted
    } else if identity.role == "anon" || identity.sub.is_none() {
        Who::Visitor
    } else {
        Who::User
    }
}

/// Fill in what opens each suspicious cell: relation cells from the provenance trace of their
/// observations (`traced`), function cells from the catalog facts. A relation cell the trace
/// does not cover keeps what the facts alone say (RLS off, a view running as its owner).
pub fn open(cells: &mut [Cell], traced: &[CellProvenance], facts: &Facts) {
    for cell in cells.iter_mut() {
        let Some(suspicion) = cell.suspicion.as_mut() else {
            continue;
        };
        let Some((table, command)) = cell.subject.relation().zip(cell.action.command()) else {
            continue;
        };
        if let Some(p) = traced
            .iter()
            .find(|p| &p.table == table && p.identity == cell.identity && p.command == command)
        {
            suspicion.opened_by = relation_openings(table, &p.sources, facts);
        }
    }
}
