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
                let nobodys = |t: &String| t == insert_target::OWN || t == insert_target::ANY;
                let submissions = facts.is_some_and(|f| f.takes_submissions_from(&identity.role))
                    && obs.inserted.iter().all(nobodys);
                if !obs.inserted.is_empty() && !submissions {
                    found.push((Breach::AnonWrite, format!("{name} inserts rows")));
                }
            } else {
                if accepted(insert_target::OTHER_TENANT) {
                    found.push((
                        Breach::CrossTenantWrite,
                        format!("{name} inserts a row into a tenant it does not belong to"),
                    ));
                }
                if accepted(insert_target::FORGED) {
                    found.push((
                        Breach::CrossUserWrite,
                        format!(
                            "{name} inserts a row in another user's name (its author column \
                             names them)"
                        ),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::matrix::{Outcome, Probe, TableRef};
    use crate::spec::identities::TenantRole;

    fn member(name: &str, role: &str, tenant: Option<&str>) -> Identity {
        let mut i = Identity::new(name, role);
        i.tenants = tenant
            .map(|t| TenantRole {
                tenant: t.to_string(),
                role: None,
            })
            .into_iter()
            .collect();
        i
    }

    fn rows(tenant_scoped: bool, labels: &[(&str, Option<&str>, Option<&str>)]) -> TableRows {
        TableRows {
            table: TableRef::new("public", "notes"),
            labels: labels
                .iter()
                .map(|(label, owner, tenant)| {
                    (
                        label.to_string(),
                        RowFacts {
                            owners: owner.map(|o| Some(o.to_string())).into_iter().collect(),
                            tenant: tenant.map(str::to_string),
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            owned: labels.iter().any(|(_, o, _)| o.is_some()),
            parties: vec!["user_id".into()],
            tenant_scoped,
        }
    }

    fn obs(command: Command, reached: &[&str], inserted: &[&str], transfer: bool) -> Observation {
        Observation {
            table: TableRef::new("public", "notes"),
            identity: String::new(),
            command,
            reached: reached.iter().map(|s| s.to_string()).collect(),
            inserted: inserted.iter().map(|s| s.to_string()).collect(),
            transfer,
            probes: vec![Probe {
                target: "rows".into(),
                outcome: Outcome::Allowed { rows: 1 },
            }],
            shapes: Vec::new(),
        }
    }

    fn breach(
        o: &Observation,
        r: &TableRows,
        who: &Identity,
        people: &[&Identity],
        facts: Option<&RelationFacts>,
    ) -> Option<Breach> {
        suspicion(o, r, who, people, facts).map(|s| s.breach)
    }

    #[test]
    fn anon_reads_public_rows_only() {
        let anon = member("anon", "anon", None);
        let r = rows(
            false,
            &[("alice", Some("alice"), None), ("public", None, None)],
        );
        let read = |labels: &[&str]| obs(Command::Select, labels, &[], false);
        assert_eq!(breach(&read(&["public"]), &r, &anon, &[], None), None);
        assert_eq!(
            breach(&read(&["alice", "public"]), &r, &anon, &[], None),
            Some(Breach::AnonRead)
        );
        let secret = RelationFacts {
            confidential: Some("its name says it holds credentials".into()),
            ..RelationFacts::default()
        };
        assert_eq!(
            breach(&read(&["public"]), &r, &anon, &[], Some(&secret)),
            Some(Breach::AnonRead)
        );
        let published = RelationFacts {
            published: ["anon".to_string(), "authenticated".to_string()].into(),
            ..RelationFacts::default()
        };
        assert_eq!(
            breach(&read(&["alice"]), &r, &anon, &[], Some(&published)),
            None,
            "a table published to anon on purpose"
        );
        let submissions = RelationFacts {
            open_to_submissions: ["anon".to_string()].into(),
            ..RelationFacts::default()
        };
        let insert = |targets: &[&str]| obs(Command::Insert, &[], targets, false);
        assert_eq!(
            breach(&insert(&["own"]), &r, &anon, &[], Some(&submissions)),
            None,
            "a row of nobody's, through a policy written `to anon`"
        );
        assert_eq!(
            breach(&insert(&["own"]), &r, &anon, &[], None),
            Some(Breach::AnonWrite)
        );
        assert_eq!(
            breach(
                &insert(&["own", "other"]),
                &r,
                &anon,
                &[],
                Some(&submissions)
            ),
            Some(Breach::AnonWrite),
            "a row in a user's name"
        );
        let deleted = obs(Command::Delete, &["public"], &[], false);
        assert_eq!(
            breach(&deleted, &r, &anon, &[], None),
            Some(Breach::AnonWrite)
        );
    }

    #[test]
    fn users_reach_their_rows_their_tenants_and_their_mates() {
        let alice = member("alice", "authenticated", Some("t1"));
        let mate = member("t1-member", "authenticated", Some("t1"));
        let r = rows(
            true,
            &[
                ("alice", Some("alice"), Some("t1")),
                ("t1-member", Some("t1-member"), Some("t1")),
                ("bob", Some("bob"), Some("t2")),
            ],
        );
        let read = |labels: &[&str]| obs(Command::Select, labels, &[], false);
        assert_eq!(
            breach(&read(&["alice", "t1-member"]), &r, &alice, &[], None),
            None
        );
        assert_eq!(
            breach(&read(&["alice", "bob"]), &r, &alice, &[], None),
            Some(Breach::CrossTenantRead)
        );
        let profiles = rows(
            false,
            &[
                ("alice", Some("alice"), None),
                ("t1-member", Some("t1-member"), None),
            ],
        );
        assert_eq!(
            breach(
                &read(&["alice", "t1-member"]),
                &profiles,
                &alice,
                &[&mate],
                None
            ),
            None,
            "a teammate's profile"
        );
        assert_eq!(
            breach(&read(&["alice", "t1-member"]), &profiles, &alice, &[], None),
            Some(Breach::CrossUserRead)
        );
        let updated = obs(Command::Update, &["alice", "t1-member"], &[], false);
        assert_eq!(
            breach(&updated, &profiles, &alice, &[&mate], None),
            Some(Breach::CrossUserWrite),
            "reading a teammate's row is fine, writing it is not"
        );
        let moved = obs(Command::Update, &["alice"], &[], true);
        assert_eq!(
            breach(&moved, &r, &alice, &[], None),
            Some(Breach::CrossTenantWrite)
        );
    }

    #[test]
    fn inserts_in_another_name_or_tenant() {
        let alice = member("alice", "authenticated", Some("t1"));
        let owned = rows(false, &[("alice", Some("alice"), None)]);
        let insert = |targets: &[&str]| obs(Command::Insert, &[], targets, false);
        assert_eq!(breach(&insert(&["own"]), &owned, &alice, &[], None), None);
        assert_eq!(
            breach(&insert(&["own", "other"]), &owned, &alice, &[], None),
            Some(Breach::CrossUserWrite)
        );
        let tenant = rows(true, &[("alice", Some("alice"), Some("t1"))]);
        assert_eq!(
            breach(&insert(&["own", "other"]), &tenant, &alice, &[], None),
            None,
            "a row for another member of its tenant"
        );
        let s = suspicion(
            &insert(&["own", "other", "other tenant"]),
            &tenant,
            &alice,
            &[],
            None,
        )
        .unwrap();
        assert_eq!(s.breach, Breach::CrossTenantWrite);
        assert_eq!(
            s.reason,
            "alice inserts a row into a tenant it does not belong to"
        );
    }

    #[test]
    fn rows_nobody_owns() {
        let alice = member("alice", "authenticated", None);
        let r = rows(false, &[("public", None, None)]);
        assert_eq!(
            breach(
                &obs(Command::Select, &["public"], &[], false),
                &r,
                &alice,
                &[],
                None
            ),
            None
        );
        assert_eq!(
            breach(
                &obs(Command::Update, &["public"], &[], false),
                &r,
                &alice,
                &[],
                None
            ),
            Some(Breach::SharedWrite)
        );
        let view = RelationFacts {
            past_rls: Some((super::super::PastRls::ViewOwner, None)),
            built_from: vec![TableRef::new("public", "projects")],
            built_from_tenants: true,
            ..RelationFacts::default()
        };
        assert_eq!(
            breach(
                &obs(Command::Select, &["public"], &[], false),
                &r,
                &alice,
                &[],
                Some(&view)
            ),
            Some(Breach::CrossTenantRead),
            "a view running as its owner over tenant rows"
        );
    }

    #[test]
    fn the_service_role_reaches_everything() {
        let service = member("service", "service_role", None);
        let r = rows(false, &[("alice", Some("alice"), None)]);
        assert_eq!(
            breach(
                &obs(Command::Delete, &["alice"], &[], false),
                &r,
                &service,
                &[],
                None
            ),
            None
        );
    }
}
