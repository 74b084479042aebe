//! The tenant model: a tenant table (organizations, teams, accounts), a membership table
//! joining users to tenants with an optional role, and the tenants the probe engine creates
//! with their members. Declared in `[tenancy]` or inferred: a membership table has a
//! foreign key to a user and one to the tenant table, and the policies (or the functions
//! they call) read it.

use postgres::Client;

use super::{best_parent_fk, declared_link, user, Owner, TenantLink};
use crate::matrix::TableRef;
use crate::probe::catalog::{Catalog, Relation};
use crate::spec::{Identity, Specs, TenancySpec, TenantSpec};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub table: TableRef,
    /// The foreign key to the member's user.
    pub user_fk: usize,
    /// The foreign key to the tenant table.
    pub tenant_fk: usize,
    /// The column holding the member's role.
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// An identity's name, or a synthesized member's (`t1-member`), which no probe runs as.
    pub name: String,
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub name: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenancy {
    pub table: TableRef,
    pub membership: Membership,
    /// The values the role column may hold (its enum labels or CHECK literals), when known.
    pub roles: Vec<String>,
    /// The role given to ordinary members and to the tenant's admin.
    pub member_role: Option<String>,
    pub admin_role: Option<String>,
    /// The tenants to create, with their members.
    pub tenants: Vec<Tenant>,
    /// How the model was found, for the line `rlsgate test` prints.
    pub inferred: bool,
}

/// Names given to synthesized members: one per tenant, so that a tenant's rows and an
/// identity's own rows differ.
pub fn filler_name(tenant: &str) -> String {
    format!("{tenant}-member")
}

impl Tenancy {
    /// The synthesized members, as identities that own rows but are never probed as.
    pub fn fillers(&self) -> Vec<Identity> {
        self.tenants
            .iter()
            .flat_map(|t| &t.members)
            .filter(|m| self.is_filler(&m.name))
            .map(|m| Identity::new(&m.name, "authenticated"))
            .collect()
    }

    pub fn is_filler(&self, name: &str) -> bool {
        self.tenants.iter().any(|t| filler_name(&t.name) == name)
    }

    /// One line for people: what the model is and where it came from.
    pub fn describe(&self, catalog: &Catalog) -> String {
        let m = &self.membership;
        let columns = catalog.get(&m.table).map(|rel| {
            let col = |k: usize| rel.foreign_keys[k].columns.join(", ");
            let mut s = format!("user {}, tenant {}", col(m.user_fk), col(m.tenant_fk));
            if let Some(role) = &m.role {
                s.push_str(&format!(", role {role}"));
            }
            s
        });
        let members: Vec<String> = self
            .tenants
            .iter()
            .map(|t| {
                let names: Vec<String> = t
                    .members
                    .iter()
                    .filter(|m| !self.is_filler(&m.name))
                    .map(|m| match &m.role {
                        Some(r) => format!("{} ({r})", m.name),
                        None => m.name.clone(),
                    })
                    .collect();
                format!("{}: {}", t.name, names.join(", "))
            })
            .collect();
        format!(
            "tenancy{}: tenants {}, members in {} ({}); {}",
            if self.inferred { " (inferred)" } else { "" },
            self.table.display_name(),
            m.table.display_name(),
            columns.unwrap_or_default(),
            members.join("; ")
        )
    }
}

impl Tenancy {
    /// The model as a `[tenancy]` section (what `rlsgate snapshot` writes when it was
    /// inferred): tables, the membership's columns and the identities' memberships.
    pub fn declaration(&self, catalog: &Catalog) -> Option<String> {
        let m = &self.membership;
        let rel = catalog.get(&m.table)?;
        let column = |k: usize| rel.foreign_keys[k].columns.first().cloned();
        let quoted = |s: &str| toml_edit::Value::from(s).to_string();
        let key = |s: &str| {
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                s.to_string()
            } else {
                quoted(s)
            }
        };
        let mut membership = format!(
            "{{ table = {}, user = {}, tenant = {}",
            quoted(&crate::spec::specs::table_key(&m.table)),
            quoted(&column(m.user_fk)?),
            quoted(&column(m.tenant_fk)?)
        );
        if let Some(role) = &m.role {
            membership.push_str(&format!(", role = {}", quoted(role)));
        }
        membership.push_str(" }");
        let mut text = format!(
            "[tenancy]\ntenant = {}\nmembership = {membership}\n",
            quoted(&crate::spec::specs::table_key(&self.table))
        );
        let mut members: Vec<(String, Vec<String>)> = Vec::new();
        for t in &self.tenants {
            for member in t.members.iter().filter(|m| !self.is_filler(&m.name)) {
                let entry = match &member.role {
                    Some(role) => format!("{} = {}", key(&t.name), quoted(role)),
                    None => format!("{} = {}", key(&t.name), quoted("member")),
                };
                match members.iter_mut().find(|(n, _)| *n == member.name) {
                    Some((_, entries)) => entries.push(entry),
                    None => members.push((member.name.clone(), vec![entry])),
                }
            }
        }
        if !members.is_empty() {
            text.push_str("\n[tenancy.members]\n");
            for (name, entries) in members {
                text.push_str(&format!("{} = {{ {} }}\n", key(&name), entries.join(", ")));
            }
        }
        Some(text)
    }
}

pub const ROLE_COLUMNS: [&str; 9] = [
    "role",
    "account_role",
    "member_role",
    "team_role",
    "org_role",
    "user_role",
    "membership_role",
    "access_level",
    "permission",
];
const ADMIN_ROLES: [&str; 6] = [
    "admin",
    "owner",
    "administrator",
    "manager",
    "superadmin",
    "editor",
];
const MEMBER_ROLES: [&str; 6] = [
    "member",
    "user",
    "viewer",
    "basic",
    "collaborator",
    "reader",
];

/// The text of every policy expression and of every function outside the system schemas:
/// where a membership table in use is named.
pub fn usage_text(client: &mut Client) -> String {
    client
        .query_one(
            "select coalesce(string_agg(t, E'\\n'), '') from (
               select coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as t
               from pg_policy p
               union all
               select f.prosrc from pg_proc f join pg_namespace n on n.oid = f.pronamespace
               where n.nspname not in ('pg_catalog', 'information_schema', 'auth', 'storage', 'realtime', 'extensions', 'vault', 'graphql', 'graphql_public', 'pgsodium', 'net', 'cron', 'supabase_functions')
                 and f.prolang in (select oid from pg_language where lanname in ('sql', 'plpgsql'))
             ) s",
            &[],
        )
        .map(|r| r.get(0))
        .unwrap_or_default()
}

/// The tenant model of `specs`' `[tenancy]`, completed by inference; `None` without one.
pub fn model(
    catalog: &Catalog,
    specs: &Specs,
    identities: &[Identity],
    owners: &[Owner],
    usage: &mut dyn FnMut() -> String,
) -> Option<Tenancy> {
    let declared = specs.tenancy();
    if declared.is_some_and(|d| !d.enabled) {
        return None;
    }
    let default = TenancySpec::default();
    let spec = declared.unwrap_or(&default);
    let tenant_table = spec
        .tenant
        .as_deref()
        .map(crate::spec::specs::parse_table_name);
    let membership_table = spec
        .membership
        .as_deref()
        .map(crate::spec::specs::parse_table_name);
    let inferred = tenant_table.is_none() || membership_table.is_none();
    let (membership_index, tenant_table) = match (membership_table, tenant_table) {
        (Some(m), t) => {
            let i = index(catalog, &m)?;
            let t = t.or_else(|| {
                tenant_fk(&catalog.relations[i], catalog, None, spec)
                    .map(|k| catalog.relations[i].foreign_keys[k].target.clone())
            })?;
            (i, t)
        }
        (None, t) => {
            let text = usage();
            pick_membership(catalog, owners, t.as_ref(), &text, spec)?
        }
    };
    let rel = &catalog.relations[membership_index];
    let user_fk = user_fk(rel, catalog, spec)?;
    let tenant_fk = tenant_fk(rel, catalog, Some(&tenant_table), spec)?;
    let role = spec
        .role_column
        .clone()
        .filter(|c| rel.column(c).is_some())
        .or_else(|| {
            ROLE_COLUMNS
                .iter()
                .find(|n| {
                    rel.column(n)
                        .is_some_and(|c| matches!(c.category, 'S' | 'E') || c.type_kind == 'e')
                })
                .map(|n| n.to_string())
        });
    let roles = role
        .as_deref()
        .map(|r| role_values(rel, r))
        .unwrap_or_default();
    let pick = |names: &[&str]| -> Option<String> {
        names
            .iter()
            .find_map(|n| roles.iter().find(|r| r.eq_ignore_ascii_case(n)))
            .cloned()
    };
    let admin_role = role
        .as_ref()
        .and(pick(&ADMIN_ROLES).or_else(|| roles.last().cloned()));
    let member_role = role.as_ref().and(
        pick(&MEMBER_ROLES)
            .or_else(|| {
                let default = rel.column(role.as_deref()?)?.default_expr.clone()?;
                roles
                    .iter()
                    .find(|r| default.contains(&format!("'{r}'")))
                    .cloned()
            })
            .or_else(|| {
                roles
                    .iter()
                    .find(|r| Some(*r) != admin_role.as_ref())
                    .cloned()
            }),
    );
    let tenants = plan_tenants(
        spec,
        identities,
        member_role.as_deref(),
        admin_role.as_deref(),
        role.is_some(),
    );
    Some(Tenancy {
        table: tenant_table,
        membership: Membership {
            table: rel.table.clone(),
            user_fk,
            tenant_fk,
            role,
        },
        roles,
        member_role,
        admin_role,
        tenants,
        inferred,
    })
}

fn index(catalog: &Catalog, table: &TableRef) -> Option<usize> {
    catalog.relations.iter().position(|r| &r.table == table)
}

/// The membership table's foreign key to the member: the declared column, else the user
/// column named like an owner (`user_id`, not `coach_user_id`).
fn user_fk(rel: &Relation, catalog: &Catalog, spec: &TenancySpec) -> Option<usize> {
    let column = match &spec.user_column {
        Some(c) => Some(c.as_str()),
        None => user::main_user_column(rel, catalog),
    }?;
    rel.foreign_keys
        .iter()
        .position(|fk| fk.columns.len() == 1 && fk.columns[0] == column)
}

/// The membership table's foreign key to the tenant table (`tenant`, when known). Of several
/// candidates (`team_users (team_id, user_id, member_id)`), the one that makes the table look
/// most like a membership, i.e. keyed with the user, first of equals.
fn tenant_fk(
    rel: &Relation,
    catalog: &Catalog,
    tenant: Option<&TableRef>,
    spec: &TenancySpec,
) -> Option<usize> {
    let users = user::user_columns(rel, catalog);
    let candidates = rel
        .foreign_keys
        .iter()
        .enumerate()
        .filter(|(_, fk)| match &spec.tenant_column {
            Some(c) => fk.columns.len() == 1 && &fk.columns[0] == c,
            None => {
                tenant.is_none_or(|t| &fk.target == t)
                    && !(fk.columns.len() == 1 && users.contains(&fk.columns[0].as_str()))
                    && fk.target != rel.table
                    && !user::is_auth_users(&fk.target)
            }
        })
        .map(|(k, _)| k);
    candidates.max_by_key(|&k| {
        (
            membership_likeness(rel, catalog, spec, k),
            std::cmp::Reverse(k),
        )
    })
}

/// The membership table in use: a table with a user foreign key and one to a tenant table,
/// named by a policy or a function, that looks like a membership (a key on the user and the
/// tenant, a role column, a name like `memberships`, `team_users`), and whose tenant table
/// the most other tables reference.
fn pick_membership(
    catalog: &Catalog,
    owners: &[Owner],
    tenant: Option<&TableRef>,
    usage: &str,
    spec: &TenancySpec,
) -> Option<(usize, TableRef)> {
    let mut best: Option<((usize, usize), usize, TableRef)> = None;
    for (i, rel) in catalog.relations.iter().enumerate() {
        if !rel.kind.holds_rows()
            || user::is_auth_users(&rel.table)
            || user::is_profile(rel, catalog)
        {
            continue;
        }
        if user_fk(rel, catalog, spec).is_none() || !names_table(usage, &rel.table) {
            continue;
        }
        let Some(k) = tenant_fk(rel, catalog, tenant, spec) else {
            continue;
        };
        let likeness = membership_likeness(rel, catalog, spec, k);
        if likeness < 2 {
            continue;
        }
        let target = rel.foreign_keys[k].target.clone();
        let Some(ti) = index(catalog, &target) else {
            continue;
        };
        let target_rel = &catalog.relations[ti];
        if !target_rel.kind.holds_rows() || user::is_profile(target_rel, catalog) {
            continue;
        }
        // A tenant has rows of its own: other tables reference it, not only this one.
        let scoped = catalog
            .relations
            .iter()
            .enumerate()
            .filter(|(j, r)| {
                *j != i && *j != ti && r.foreign_keys.iter().any(|fk| fk.target == target)
            })
            .count();
        // a table the members' rows already belong to through an owner column is no tenant
        // unless tables hang off it
        let user_owned = matches!(&owners[ti], Owner::Users(_));
        if scoped == 0 || (user_owned && scoped < 2 && tenant.is_none()) {
            continue;
        }
        if best
            .as_ref()
            .is_none_or(|(s, _, _)| (likeness, scoped) > *s)
        {
            best = Some(((likeness, scoped), i, target));
        }
    }
    best.map(|(_, i, t)| (i, t))
}

/// How much `rel` looks like a membership table, with `tenant_fk` its tenant key: a unique
/// key holding the user and the tenant (3), a role column (2), a name saying so (2).
fn membership_likeness(
    rel: &Relation,
    catalog: &Catalog,
    spec: &TenancySpec,
    tenant_fk: usize,
) -> usize {
    let Some(user) = user_fk(rel, catalog, spec) else {
        return 0;
    };
    let pair: Vec<&String> = rel.foreign_keys[user]
        .columns
        .iter()
        .chain(&rel.foreign_keys[tenant_fk].columns)
        .collect();
    let keyed = std::iter::once(&rel.primary_key)
        .chain(&rel.uniques)
        .any(|key| pair.iter().all(|c| key.contains(c)));
    let role = ROLE_COLUMNS.iter().any(|c| rel.column(c).is_some());
    let name = rel.table.name.to_ascii_lowercase();
    let named = [
        "member",
        "user",
        "collaborator",
        "participant",
        "staff",
        "employee",
        "seat",
        "role",
    ]
    .iter()
    .any(|hint| name.contains(hint));
    3 * usize::from(keyed) + 2 * usize::from(role) + 2 * usize::from(named)
}

/// `usage` names `table` as a word (qualified or not).
fn names_table(usage: &str, table: &TableRef) -> bool {
    crate::sql::names::names_word(usage, &table.name)
}

/// The values a role column may hold: its enum's labels, or the literals of its CHECKs.
pub fn role_values(rel: &Relation, column: &str) -> Vec<String> {
    let Some(col) = rel.column(column) else {
        return Vec::new();
    };
    if !col.enum_labels.is_empty() {
        return col.enum_labels.clone();
    }
    let mut values = Vec::new();
    for check in rel.checks.iter().filter(|c| c.columns == [column]) {
        for hint in crate::probe::values::check_hints(&check.definition) {
            if let Some(v) = hint.strip_prefix('\'').and_then(|h| h.strip_suffix('\'')) {
                let v = v.replace("''", "'");
                if !values.contains(&v) {
                    values.push(v);
                }
            }
        }
    }
    values
}

/// The tenants to create: `[tenancy.members]` as declared, or `alice` a member of `t1`,
/// `admin` its admin, `bob` a member of `t2`; each tenant also gets a synthesized member.
fn plan_tenants(
    spec: &TenancySpec,
    identities: &[Identity],
    member_role: Option<&str>,
    admin_role: Option<&str>,
    has_role: bool,
) -> Vec<Tenant> {
    let mut tenants: Vec<Tenant> = Vec::new();
    let mut add = |tenant: &str, name: &str, role: Option<String>| {
        let i = match tenants.iter().position(|t| t.name == tenant) {
            Some(i) => i,
            None => {
                tenants.push(Tenant {
                    name: tenant.to_string(),
                    members: Vec::new(),
                });
                tenants.len() - 1
            }
        };
        tenants[i].members.push(Member {
            name: name.to_string(),
            role,
        });
    };
    let role = |r: Option<&str>| {
        if has_role {
            r.map(str::to_string)
        } else {
            None
        }
    };
    if spec.members.is_empty() {
        let owners: Vec<&Identity> = identities.iter().filter(|i| i.owns_rows()).collect();
        let named = |n: &str| owners.iter().find(|i| i.name == n).map(|i| i.name.clone());
        let first = named("alice").or_else(|| owners.first().map(|i| i.name.clone()));
        let second = named("bob").or_else(|| {
            owners
                .iter()
                .map(|i| i.name.clone())
                .find(|n| Some(n) != first.as_ref() && n != "admin")
        });
        if let Some(first) = &first {
            add("t1", first, role(member_role));
        }
        if let Some(admin) =
            named("admin").filter(|a| Some(a) != first.as_ref() && Some(a) != second.as_ref())
        {
            add("t1", &admin, role(admin_role));
        }
        if let Some(second) = &second {
            add("t2", second, role(member_role));
        }
        // The first run's adversary (`rlsgate test` without specs) is a member like bob.
        if let Some(mallory) =
            named("mallory").filter(|m| Some(m) != first.as_ref() && Some(m) != second.as_ref())
        {
            add("t2", &mallory, role(member_role));
        }
        for t in ["t1", "t2"] {
            if !tenants.iter().any(|x| x.name == t) {
                tenants.push(Tenant {
                    name: t.to_string(),
                    members: Vec::new(),
                });
            }
        }
    } else {
        for m in &spec.members {
            let r = m.role.clone().or_else(|| role(member_role));
            add(&m.tenant, &m.identity, if has_role { r } else { None });
        }
    }
    for t in &mut tenants {
        t.members.push(Member {
            name: filler_name(&t.name),
            role: role(member_role),
        });
    }
    tenants
}

/// Every relation's tenant link, in catalog order: the specs' `tenant = ...` lines, a foreign
/// key to the tenant table, or a parent that has a tenant (to a fixed point). Profiles (a
/// user's own row, keyed by the user id) are never tenant-scoped: a `team_id` there is the
/// user's current tenant, not where the row lives.
pub fn links(
    catalog: &Catalog,
    tenancy: &Tenancy,
    owners: &[Owner],
    declared: &dyn Fn(&TableRef) -> Option<TenantSpec>,
) -> Vec<Option<TenantLink>> {
    let n = catalog.relations.len();
    let mut links: Vec<Option<Option<TenantLink>>> = vec![None; n];
    for (i, rel) in catalog.relations.iter().enumerate() {
        if rel.table == tenancy.table {
            links[i] = Some(Some(TenantLink::Tenant));
        } else if rel.table == tenancy.membership.table {
            links[i] = Some(Some(TenantLink::Direct {
                fk: tenancy.membership.tenant_fk,
            }));
        } else if let Some(spec) = declared(&rel.table) {
            links[i] = declared_link(rel, &spec, &tenancy.table);
        } else if user::is_profile(rel, catalog) {
            links[i] = Some(Some(TenantLink::Owners));
        } else if user::is_auth_users(&rel.table) || !rel.kind.holds_rows() {
            links[i] = Some(None);
        } else if let Some(k) = direct_fk(rel, &tenancy.table) {
            links[i] = Some(Some(TenantLink::Direct { fk: k }));
        }
    }
    loop {
        let mut changed = false;
        for i in 0..n {
            if links[i].is_some() {
                continue;
            }
            // a profile's tenant is its owner's, carried by no key: nothing hangs off it
            let scoped =
                |pi: usize| matches!(links[pi], Some(Some(ref l)) if *l != TenantLink::Owners);
            // follow the owning parent first: the row lives where its owner's row lives
            let owning = match &owners[i] {
                Owner::Parent { fk, .. } => Some(*fk).filter(|&k| {
                    index(catalog, &catalog.relations[i].foreign_keys[k].target).is_some_and(scoped)
                }),
                _ => None,
            };
            if let Some(k) = owning.or_else(|| best_parent_fk(catalog, i, &scoped)) {
                links[i] = Some(Some(TenantLink::Parent {
                    fk: k,
                    parent: catalog.relations[i].foreign_keys[k].target.clone(),
                }));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    links.into_iter().map(Option::flatten).collect()
}

/// A one-column foreign key to the tenant table: NOT NULL before nullable.
fn direct_fk(rel: &Relation, tenant: &TableRef) -> Option<usize> {
    let to_tenant =
        |fk: &&crate::probe::catalog::ForeignKey| &fk.target == tenant && fk.columns.len() == 1;
    let required = |k: usize| {
        rel.foreign_keys[k]
            .columns
            .iter()
            .all(|c| rel.column(c).is_some_and(|c| c.not_null))
    };
    let keys: Vec<usize> = rel
        .foreign_keys
        .iter()
        .enumerate()
        .filter(|(_, fk)| to_tenant(fk))
        .map(|(k, _)| k)
        .collect();
    keys.iter()
        .copied()
        .find(|&k| required(k))
        .or(keys.first().copied())
}
