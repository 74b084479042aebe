//! The presumption for tables and views: whose rows an identity reached, read from each placed
//! row's facts (owners, tenant), against "anon reaches nobody's rows but public ones and
//! writes nothing; a user reaches its own rows and its tenants' rows".

use std::collections::BTreeSet;

use super::facts::RelationFacts;
use super::{who, Breach, Suspicion, Who};
use crate::matrix::{insert_target, Command, Observation, RowFacts, TableRows};
use crate::spec::Identity;

/// Whose a reached row is, seen from the identity that reached it.
enum Whose<'a> {
    Mine,
    MyTenant,
    OtherTenant(&'a str),
    OtherUsers(Vec<&'a str>),
    Nobody,
}

fn whose<'a>(facts: &'a RowFacts, identity: &Identity) -> Whose<'a> {
    if facts.is_owner(&identity.name) {
        return Whose::Mine;
    }
    if let Some(tenant) = facts.tenant.as_deref() {
        return if identity.belongs_to(tenant) {
            Whose::MyTenant
        } else {
            Whose::OtherTenant(tenant)
        };
    }
    let owners: Vec<&str> = facts.owners.iter().flatten().map(String::as_str).collect();
    if owners.is_empty() {
        Whose::Nobody
    } else {
        Whose::OtherUsers(owners)
    }
}

/// The rows of other users, of other tenants, and of nobody among `labels`.
#[derive(Default)]
struct Reached<'a> {
    tenants: BTreeSet<&'a str>,
    users: BTreeSet<&'a str>,
    /// Users the identity shares a tenant with.
    mates: BTreeSet<&'a str>,
    nobody: usize,
}

impl<'a> Reached<'a> {
    /// `mates`: the users `identity` shares a tenant with, whose rows it may read.
    fn of(
        labels: &BTreeSet<String>,
        rows: &'a TableRows,
        identity: &Identity,
        mates: &BTreeSet<&str>,
    ) -> Reached<'a> {
        let mut out = Reached::default();
        for facts in labels.iter().filter_map(|l| rows.labels.get(l)) {
            match whose(facts, identity) {
                Whose::Mine | Whose::MyTenant => {}
                Whose::OtherTenant(t) => {
                    out.tenants.insert(t);
                }
                Whose::OtherUsers(owners) if owners.iter().all(|o| mates.contains(o)) => {
                    out.mates.extend(owners)
                }
                Whose::OtherUsers(owners) => out.users.extend(owners),
                Whose::Nobody => out.nobody += 1,
            }
        }
        out
    }

    /// `rows of tenant t2 and rows owned by alice, bob`.
    fn phrase(&self) -> String {
        let mut parts = Vec::new();
        if !self.tenants.is_empty() {
            parts.push(format!(
                "rows of tenant{} {}",
                plural(self.tenants.len()),
                list(&self.tenants)
            ));
        }
        if !self.users.is_empty() {
            parts.push(format!("rows owned by {}", list(&self.users)));
        }
        parts.join(" and ")
    }
}

/// The users `identity` shares a tenant with (identities and synthesized members).
fn mates<'p>(identity: &Identity, people: &[&'p Identity]) -> BTreeSet<&'p str> {
    people
        .iter()
        .filter(|p| p.name != identity.name)
        .filter(|p| p.tenants.iter().any(|t| identity.belongs_to(&t.tenant)))
        .map(|p| p.name.as_str())
        .collect()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn list(names: &BTreeSet<&str>) -> String {
    names.iter().copied().collect::<Vec<_>>().join(", ")
}

fn verb(command: Command) -> &'static str {
    match command {
        Command::Select => "reads",
        Command::Insert => "inserts",
        Command::Update => "updates",
        Command::Delete => "deletes",
    }
}

/// The worst of the breaches found, with every reason (worst first).
fn worst(mut found: Vec<(Breach, String)>) -> Option<Suspicion> {
    found.sort_by_key(|(b, _)| *b);
    let breach = found.first()?.0;
    let reason = found
        .into_iter()
        .map(|(_, r)| r)
        .collect::<Vec<_>>()
        .join("; ");
    Some(Suspicion::new(breach, reason))
}

/// Why the observation breaks the presumption, if it does.
pub(super) fn suspicion(
    obs: &Observation,
    rows: &TableRows,
    identity: &Identity,
    people: &[&Identity],
    facts: Option<&RelationFacts>,
) -> Option<Suspicion> {
    if obs.inconclusive().is_some() {
        return None;
    }
    let who = who(identity);
    if who == Who::Trusted {
        return None;
    }
    let name = identity.name.as_str();
    let mut found = Vec::new();
    match obs.command {
        Command::Insert => {
            let accepted = |t: &str| obs.inserted.contains(t);
            if who == Who::Visitor {
                if !obs.inserted.is_empty() {
                    found.push((Breach::AnonWrite, format!("{name} inserts rows")));
                }
            } else {
                if accepted(insert_target::OTHER_TENANT) {
                    found.push((
                        Breach::CrossTenantWrite,
                        format!("{name} inserts a row into a tenant it does not belong to"),
                    ));
                }
                if rows.owned && !rows.tenant_scoped && accepted(insert_target::OTHER) {
                    found.push((
                        Breach::CrossUserWrite,
                        format!("{name} inserts a row in another user's name"),
                    ));
                }
            }
        }
        command => {
            let reads = command == Command::Select;
            let mut reached = Reached::of(&obs.reached, rows, identity, &mates(identity, people));
            if !reads {
                reached.users.append(&mut reached.mates);
            }
            let published = reads && facts.is_some_and(|f| f.published_to(&identity.role));
            if published {
                reached.users.clear();
            }
            let verb = verb(command);
            let whose = reached.phrase();
            match who {
                Who::Visitor if reads && !whose.is_empty() => {
                    found.push((Breach::AnonRead, format!("{name} {verb} {whose}")))
                }
                Who::Visitor if !reads && !obs.reached.is_empty() => {
                    let rows_word = if obs.reached.len() == 1 {
                        "row"
                    } else {
                        "rows"
                    };
                    let what = if whose.is_empty() {
                        format!("{} {rows_word} nobody owns", obs.reached.len())
                    } else {
                        whose
                    };
                    found.push((Breach::AnonWrite, format!("{name} {verb} {what}")));
                }
                Who::User => {
                    if !reached.tenants.is_empty() {
                        found.push((
                            if reads {
                                Breach::CrossTenantRead
                            } else {
                                Breach::CrossTenantWrite
                            },
                            format!(
                                "{name} {verb} rows of tenant{} {}, which it does not belong to",
                                plural(reached.tenants.len()),
                                list(&reached.tenants)
                            ),
                        ));
                    }
                    if !reached.users.is_empty() {
                        found.push((
                            if reads {
                                Breach::CrossUserRead
                            } else {
                                Breach::CrossUserWrite
                            },
                            format!("{name} {verb} rows owned by {}", list(&reached.users)),
                        ));
                    }
                    if !reads && reached.nobody > 0 {
                        found.push((
                            Breach::SharedWrite,
                            format!("{name} {verb} rows nobody owns (shared by every user)"),
                        ));
                    }
                    if command == Command::Update && obs.transfer {
                        found.push(if rows.tenant_scoped {
                            (
                                Breach::CrossTenantWrite,
                                format!("{name} moves a row of its tenant into another tenant"),
                            )
                        } else {
                            (
                                Breach::CrossUserWrite,
                                format!("{name} hands its own row to another user"),
                            )
                        });
                    }
                }
                _ => {}
            }
            if reads && reached.nobody > 0 {
                found.extend(unowned_read(name, who, rows, facts, published));
            }
        }
    }
    worst(found)
}

/// Reading rows nobody owns is reading public reference data, unless they are credentials or
/// come, past RLS, from rows of users or tenants.
fn unowned_read(
    name: &str,
    who: Who,
    rows: &TableRows,
    facts: Option<&RelationFacts>,
    published: bool,
) -> Option<(Breach, String)> {
    let facts = facts?;
    let relation = rows.table.display_name();
    let breach = |tenants: bool| match who {
        Who::Visitor => Breach::AnonRead,
        _ if tenants => Breach::CrossTenantRead,
        _ => Breach::CrossUserRead,
    };
    if let Some(why) = &facts.confidential {
        return Some((
            breach(false),
            format!("{name} reads rows of {relation}, which nobody owns but {why}"),
        ));
    }
    let (past_rls, _) = facts.past_rls.as_ref()?;
    if facts.built_from.is_empty() || published {
        return None;
    }
    let bases: Vec<String> = facts.built_from.iter().map(|t| t.display_name()).collect();
    Some((
        breach(facts.built_from_tenants),
        format!(
            "{name} reads rows of {relation} built from rows of users or tenants ({}): {}",
            bases.join(", "),
            past_rls.text()
        ),
    ))
}
