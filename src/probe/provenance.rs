//! Why an identity may do what it does: for every allowed cell, the policy, grant or bypass
//! that grants it.
//!
//! Grants are read from the table's ACL (which grantee gives the identity's role the
//! privilege). Policies are found by re-probing: with RLS on and no bypass, a cell is allowed
//! only through a permissive policy, so each permissive policy of the table is kept alone in
//! turn (the others dropped inside the rolled-back probe transaction) and the probes show
//! which policy grants what on its own. Restrictive policies that apply are listed as limits.

use std::collections::{BTreeMap, BTreeSet};

use postgres::Client;
use serde::Serialize;

use super::catalog::RelKind;
use super::{observe_all, Execution, Prepared, ProbeError};
use crate::matrix::{quote_ident, Command, Observation, TableRef};
use crate::migrate::Database;

/// A policy as the catalog holds it (`pg_policies`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub name: String,
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE`, `DELETE`.
    pub command: String,
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub check: Option<String>,
}

impl Policy {
    pub fn applies_to(&self, command: Command) -> bool {
        self.command == "ALL" || self.command.eq_ignore_ascii_case(command.as_str())
    }

    /// Applies to `role` (directly, through `public`, or through a role it belongs to).
    fn applies_to_role(&self, role: &str, member_of: &BTreeSet<String>) -> bool {
        self.roles
            .iter()
            .any(|r| r == "public" || r == role || member_of.contains(r))
    }

    /// The policy as a `CREATE POLICY` statement.
    pub fn sql(&self, table: &TableRef) -> String {
        let mut sql = format!(
            "create policy {} on {}",
            quote_ident(&self.name),
            table.qualified()
        );
        if !self.permissive {
            sql.push_str("\n  as restrictive");
        }
        sql.push_str(&format!("\n  for {}", self.command.to_lowercase()));
        sql.push_str(&format!("\n  to {}", self.roles.join(", ")));
        if let Some(using) = &self.using {
            sql.push_str(&format!("\n  using ({using})"));
        }
        if let Some(check) = &self.check {
            sql.push_str(&format!("\n  with check ({check})"));
        }
        sql.push(';');
        sql
    }
}

/// What the catalog says about one relation's access control.
#[derive(Debug, Clone, Serialize)]
pub struct RelationAccess {
    pub table: TableRef,
    /// `table`, `partitioned table`, `view`, `materialized view`, `foreign table`.
    pub kind: String,
    pub owner: String,
    pub rls: bool,
    pub force_rls: bool,
    /// Views: `security_invoker = true`.
    pub security_invoker: bool,
    pub policies: Vec<Policy>,
    /// Grantee (`PUBLIC` for everyone) -> privileges (`SELECT`, `INSERT`, ...).
    pub grants: BTreeMap<String, BTreeSet<String>>,
    /// Views: the definition.
    pub definition: Option<String>,
}

/// One reason a cell is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Source {
    /// This permissive policy alone grants the whole observed access (`partial`: only part).
    Policy { name: String, partial: bool },
    /// The privilege, and the grantee it comes through.
    Grant { privilege: String, grantee: String },
    /// The role skips RLS (superuser, BYPASSRLS, or the table's owner without FORCE).
    Bypass { reason: String },
    /// RLS is off on the table: the grant alone decides.
    RlsDisabled,
    /// A view without security_invoker reads its tables with its owner's rights.
    ViewOwner { owner: String },
    /// A security_invoker view: the policies of the tables it reads apply to the caller.
    ViewInvoker,
    /// A materialized or foreign table: RLS does not apply.
    NoRls { kind: String },
    /// Several permissive policies only grant it together.
    Combined { names: Vec<String> },
    /// A restrictive policy that also had to pass.
    LimitedBy { name: String },
}

impl Source {
    pub fn text(&self) -> String {
        match self {
            Source::Policy { name, partial } if *partial => {
                format!("policy \"{name}\" (part of it)")
            }
            Source::Policy { name, .. } => format!("policy \"{name}\""),
            Source::Grant { privilege, grantee } => format!("grant {privilege} to {grantee}"),
            Source::Bypass { reason } => format!("RLS bypass: {reason}"),
            Source::RlsDisabled => "RLS disabled on the table".to_string(),
            Source::ViewOwner { owner } => {
                format!("view runs as its owner {owner} (no security_invoker)")
            }
            Source::ViewInvoker => {
                "security_invoker view: the underlying tables' policies".to_string()
            }
            Source::NoRls { kind } => format!("{kind}: no RLS"),
            Source::Combined { names } => format!(
                "policies {} together",
                names
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            Source::LimitedBy { name } => format!("limited by restrictive policy \"{name}\""),
        }
    }
}

/// The sources of one allowed cell.
#[derive(Debug, Clone, Serialize)]
pub struct CellProvenance {
    pub table: TableRef,
    pub identity: String,
    pub command: Command,
    pub sources: Vec<Source>,
}

/// Reads policies, grants, owner and options of `tables`.
pub fn relation_access(
    client: &mut Client,
    tables: &[TableRef],
) -> Result<Vec<RelationAccess>, postgres::Error> {
    let mut out = Vec::new();
    for table in tables {
        let Some(row) = client.query_opt(
            "select c.oid, c.relkind::text, pg_get_userbyid(c.relowner)::text, c.relrowsecurity,
                    c.relforcerowsecurity,
                    coalesce(c.reloptions::text[] && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false),
                    case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid, true) end
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = $1 and c.relname = $2",
            &[&table.schema, &table.name],
        )?
        else {
            continue;
        };
        let oid: u32 = row.get(0);
        let kind = match row.get::<_, String>(1).as_str() {
            "p" => "partitioned table",
            "v" => "view",
            "m" => "materialized view",
            "f" => "foreign table",
            _ => "table",
        }
        .to_string();
        let policies = client
            .query(
                "select policyname::text, permissive = 'PERMISSIVE', cmd, roles::text[], qual, with_check
                 from pg_policies where schemaname = $1 and tablename = $2 order by policyname",
                &[&table.schema, &table.name],
            )?
            .iter()
            .map(|r| Policy {
                name: r.get(0),
                permissive: r.get(1),
                command: r.get(2),
                roles: r.get(3),
                using: r.get(4),
                check: r.get(5),
            })
            .collect();
        let mut grants: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in client.query(
            "select case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee)::text end,
                    a.privilege_type
             from pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
             where c.oid = $1",
            &[&oid],
        )? {
            grants.entry(r.get(0)).or_default().insert(r.get(1));
        }
        out.push(RelationAccess {
            table: table.clone(),
            kind,
            owner: row.get(2),
            rls: row.get(3),
            force_rls: row.get(4),
            security_invoker: row.get(5),
            policies,
            grants,
            definition: row.get(6),
        });
    }
    Ok(out)
}

/// What a role is: superuser/BYPASSRLS, and the roles it belongs to.
struct RoleInfo {
    bypass: Option<String>,
    member_of: BTreeSet<String>,
}

fn role_info(client: &mut Client, role: &str) -> Result<RoleInfo, postgres::Error> {
    let row = client.query_opt(
        "select rolsuper, rolbypassrls,
                array(select b.rolname::text from pg_roles b where pg_has_role(r.oid, b.oid, 'USAGE') and b.oid <> r.oid)
         from pg_roles r where rolname = $1",
        &[&role],
    )?;
    Ok(match row {
        Some(r) => RoleInfo {
            bypass: if r.get::<_, bool>(0) {
                Some(format!("{role} is a superuser"))
            } else if r.get::<_, bool>(1) {
                Some(format!("{role} has BYPASSRLS"))
            } else {
                None
            },
            member_of: r.get::<_, Vec<String>>(2).into_iter().collect(),
        },
        None => RoleInfo {
            bypass: None,
            member_of: BTreeSet::new(),
        },
    })
}

/// The observation grants something: rows reached, a row inserted, an ownership transfer.
pub fn grants_anything(obs: &Observation) -> bool {
    !obs.reached.is_empty() || !obs.inserted.is_empty() || obs.transfer
}

/// How much of `base` the observation `alone` still grants: `None` nothing, `Some(true)` all.
fn coverage(alone: &Observation, base: &Observation) -> Option<bool> {
    if !grants_anything(alone) {
        return None;
    }
    let full = base.reached.is_subset(&alone.reached)
        && base.inserted.is_subset(&alone.inserted)
        && (!base.transfer || alone.transfer);
    Some(full)
}

fn privilege_of(command: Command) -> &'static str {
    match command {
        Command::Select => "SELECT",
        Command::Insert => "INSERT",
        Command::Update => "UPDATE",
        Command::Delete => "DELETE",
    }
}

/// The provenance of every allowed cell in `observations` (the baseline pass). Re-probes run
/// one table at a time on one connection, and leave `prepared` as it was.
pub fn trace(
    db: &mut Database,
    prepared: &mut Prepared,
    observations: &[Observation],
    access: &[RelationAccess],
) -> Result<Vec<CellProvenance>, ProbeError> {
    let mut roles: BTreeMap<String, RoleInfo> = BTreeMap::new();
    for id in &prepared.identities {
        if !roles.contains_key(&id.role) {
            let info = role_info(db.client(), &id.role)
                .map_err(ProbeError::db("reading role attributes"))?;
            roles.insert(id.role.clone(), info);
        }
    }
    let all_rows = std::mem::take(&mut prepared.rows);
    let result = trace_tables(db, prepared, &all_rows, observations, access, &roles);
    prepared.rows = all_rows;
    result
}

fn trace_tables(
    db: &mut Database,
    prepared: &mut Prepared,
    all_rows: &[crate::matrix::TableRows],
    observations: &[Observation],
    access: &[RelationAccess],
    roles: &BTreeMap<String, RoleInfo>,
) -> Result<Vec<CellProvenance>, ProbeError> {
    let mut out = Vec::new();
    for table_rows in all_rows {
        let table = &table_rows.table;
        let Some(acc) = access.iter().find(|a| &a.table == table) else {
            continue;
        };
        let allowed: Vec<&Observation> = observations
            .iter()
            .filter(|o| &o.table == table && grants_anything(o))
            .collect();
        if allowed.is_empty() {
            continue;
        }
        let kind = prepared.catalog.get(table).map(|r| r.kind);
        let mut by_cell: BTreeMap<(String, Command), Vec<Source>> = BTreeMap::new();
        let mut needs_probe: Vec<&Observation> = Vec::new();
        for obs in &allowed {
            let Some(id) = prepared.identities.iter().find(|i| i.name == obs.identity) else {
                continue;
            };
            let Some(role) = roles.get(&id.role) else {
                continue;
            };
            let mut sources = vec![grant_source(acc, &id.role, role, obs.command)];
            match kind {
                Some(RelKind::View) if acc.security_invoker => sources.push(Source::ViewInvoker),
                Some(RelKind::View) => sources.push(Source::ViewOwner {
                    owner: acc.owner.clone(),
                }),
                Some(RelKind::MaterializedView) | Some(RelKind::Foreign) => {
                    sources.push(Source::NoRls {
                        kind: acc.kind.clone(),
                    })
                }
                _ => {
                    if let Some(reason) = &role.bypass {
                        sources.push(Source::Bypass {
                            reason: reason.clone(),
                        });
                    } else if acc.owner == id.role && !acc.force_rls {
                        sources.push(Source::Bypass {
                            reason: format!("{} owns the table", id.role),
                        });
                    } else if !acc.rls {
                        sources.push(Source::RlsDisabled);
                    } else {
                        let applicable: Vec<&Policy> = acc
                            .policies
                            .iter()
                            .filter(|p| {
                                p.permissive
                                    && p.applies_to(obs.command)
                                    && p.applies_to_role(&id.role, &role.member_of)
                            })
                            .collect();
                        if let [only] = applicable[..] {
                            sources.push(Source::Policy {
                                name: only.name.clone(),
                                partial: false,
                            });
                        } else {
                            needs_probe.push(obs);
                        }
                        for p in acc.policies.iter().filter(|p| {
                            !p.permissive
                                && p.applies_to(obs.command)
                                && p.applies_to_role(&id.role, &role.member_of)
                        }) {
                            sources.push(Source::LimitedBy {
                                name: p.name.clone(),
                            });
                        }
                    }
                }
            }
            by_cell.insert((obs.identity.clone(), obs.command), sources);
        }

        if !needs_probe.is_empty() {
            let permissive: Vec<&Policy> = acc.policies.iter().filter(|p| p.permissive).collect();
            let identities: Vec<String> = needs_probe
                .iter()
                .map(|o| o.identity.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            prepared.rows = vec![table_rows.clone()];
            let mut alone: BTreeMap<(String, Command), Vec<(String, bool)>> = BTreeMap::new();
            for keep in &permissive {
                let sql: String = permissive
                    .iter()
                    .filter(|p| p.name != keep.name)
                    .map(|p| {
                        format!(
                            "drop policy {} on {};\n",
                            quote_ident(&p.name),
                            table.qualified()
                        )
                    })
                    .collect();
                let pass = observe_all(
                    db,
                    prepared,
                    &Execution {
                        only_identities: &identities,
                        jobs: 1,
                        extra_sql: Some(&sql),
                    },
                )?;
                for base in &needs_probe {
                    let Some(obs) = pass
                        .iter()
                        .find(|o| o.identity == base.identity && o.command == base.command)
                    else {
                        continue;
                    };
                    if let Some(full) = coverage(obs, base) {
                        alone
                            .entry((base.identity.clone(), base.command))
                            .or_default()
                            .push((keep.name.clone(), !full));
                    }
                }
            }
            for base in &needs_probe {
                let key = (base.identity.clone(), base.command);
                let found = alone.remove(&key).unwrap_or_default();
                let sources = by_cell.entry(key).or_default();
                let insert_at = sources
                    .iter()
                    .position(|s| matches!(s, Source::LimitedBy { .. }))
                    .unwrap_or(sources.len());
                let mut policy_sources: Vec<Source> = if found.iter().any(|(_, partial)| !partial) {
                    found
                        .iter()
                        .filter(|(_, partial)| !partial)
                        .map(|(name, _)| Source::Policy {
                            name: name.clone(),
                            partial: false,
                        })
                        .collect()
                } else if found.len() > 1 {
                    vec![Source::Combined {
                        names: found.iter().map(|(n, _)| n.clone()).collect(),
                    }]
                } else {
                    found
                        .iter()
                        .map(|(name, partial)| Source::Policy {
                            name: name.clone(),
                            partial: *partial,
                        })
                        .collect()
                };
                if policy_sources.is_empty() {
                    policy_sources.push(Source::Combined {
                        names: permissive.iter().map(|p| p.name.clone()).collect(),
                    });
                }
                for (i, s) in policy_sources.into_iter().enumerate() {
                    sources.insert(insert_at + i, s);
                }
            }
        }
        for ((identity, command), sources) in by_cell {
            out.push(CellProvenance {
                table: table.clone(),
                identity,
                command,
                sources,
            });
        }
    }
    Ok(out)
}

/// Which grantee gives `role` the privilege a command needs.
fn grant_source(acc: &RelationAccess, role: &str, info: &RoleInfo, command: Command) -> Source {
    let privilege = privilege_of(command);
    let has = |grantee: &str| {
        acc.grants
            .get(grantee)
            .is_some_and(|p| p.contains(privilege))
    };
    let grantee = if info
        .bypass
        .as_deref()
        .is_some_and(|b| b.contains("superuser"))
    {
        format!("{role} (superuser)")
    } else if acc.owner == role {
        format!("{role} (owner)")
    } else if has(role) {
        role.to_string()
    } else if let Some(g) = info.member_of.iter().find(|g| has(g)) {
        format!("{g} (member)")
    } else if has("PUBLIC") {
        "PUBLIC".to_string()
    } else {
        "column privileges".to_string()
    };
    Source::Grant {
        privilege: privilege.to_string(),
        grantee,
    }
}
