//! `[tenancy]`: the tenant table, the membership table and who belongs to which tenant.
//! Everything left out is inferred (src/probe/ownership/tenant.rs).
//!
//! ```toml
//! [tenancy]
//! tenant = "organizations"
//! membership = "memberships"          # or { table = "memberships", user = "user_id", tenant = "org_id", role = "role" }
//! tenants = ["acme", "globex"]        # optional: the tenants members may name
//!
//! [tenancy.members]
//! alice = { acme = "member" }
//! admin = { acme = "admin" }
//! bob = "globex"                      # the default role
//! ```

use toml_edit::{Item, Key, Value};

use super::error::{did_you_mean, Location, SpecErrors};
use super::rules::{loc, Loc};
use super::source::{entries, item_span, kind, SourceFile};

const KEYS: [&str; 4] = ["tenant", "membership", "tenants", "members"];
const MEMBERSHIP_KEYS: [&str; 4] = ["table", "user", "tenant", "role"];

/// One identity's membership of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpec {
    pub identity: String,
    pub tenant: String,
    pub role: Option<String>,
    pub(super) identity_loc: Loc,
    pub(super) tenant_loc: Loc,
    pub(super) role_loc: Option<Loc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenancySpec {
    /// `tenancy = false` turns tenancy off, inference included.
    pub enabled: bool,
    pub tenant: Option<String>,
    pub membership: Option<String>,
    pub user_column: Option<String>,
    pub tenant_column: Option<String>,
    pub role_column: Option<String>,
    /// `tenants = [...]`: the names members may use; empty when not declared.
    pub tenants: Vec<String>,
    pub members: Vec<MemberSpec>,
    pub(super) at: Option<Loc>,
    pub(super) tenant_loc: Option<Loc>,
    pub(super) membership_loc: Option<Loc>,
    pub(super) column_locs: Vec<(&'static str, Loc)>,
}

impl TenancySpec {
    pub fn location(&self, files: &[SourceFile]) -> Location {
        let at = self.at.unwrap_or(loc(0, None));
        files[at.file].location(Some(at.span()))
    }

    pub(super) fn parse(
        index: usize,
        file: &SourceFile,
        key: &Key,
        item: &Item,
        errors: &mut SpecErrors,
    ) -> Option<TenancySpec> {
        let mut spec = TenancySpec {
            enabled: true,
            at: Some(loc(index, key.span())),
            ..TenancySpec::default()
        };
        if let Some(b) = item.as_bool() {
            if b {
                errors.push(
                    file.error_labelled(item_span(key, item), "`tenancy = true` says nothing", "expected false or a table")
                        .with_help("tenancy is inferred; write `[tenancy]` with `tenant` and `membership` to declare it, or `tenancy = false` to turn it off"),
                );
                return None;
            }
            spec.enabled = false;
            return Some(spec);
        }
        let Some(table) = item.as_table_like() else {
            errors.push(file.not_a_table("`tenancy`", key, item));
            return None;
        };
        for (k, v) in entries(table) {
            let l = loc(index, item_span(k, v));
            match k.get() {
                "tenant" => {
                    spec.tenant = string(file, k, v, "the tenant table", errors);
                    spec.tenant_loc = Some(l);
                }
                "membership" => {
                    spec.membership_loc = Some(l);
                    match v.as_table_like() {
                        Some(m) => {
                            for (mk, mv) in entries(m) {
                                let ml = loc(index, item_span(mk, mv));
                                let value = string(file, mk, mv, "a name", errors);
                                match mk.get() {
                                    "table" => {
                                        spec.membership = value;
                                        spec.membership_loc = Some(ml);
                                    }
                                    "user" => {
                                        spec.user_column = value;
                                        spec.column_locs.push(("user", ml));
                                    }
                                    "tenant" => {
                                        spec.tenant_column = value;
                                        spec.column_locs.push(("tenant", ml));
                                    }
                                    "role" => {
                                        spec.role_column = value;
                                        spec.column_locs.push(("role", ml));
                                    }
                                    _ => errors.push(file.unknown_key(
                                        mk,
                                        "membership key",
                                        &MEMBERSHIP_KEYS,
                                    )),
                                }
                            }
                            if spec.membership.is_none() {
                                errors.push(
                                    file.error_labelled(item_span(k, v), "`membership` needs `table`", "which table?")
                                        .with_help("write `membership = { table = \"memberships\", user = \"user_id\", tenant = \"org_id\" }`"),
                                );
                            }
                        }
                        None => {
                            spec.membership = string(file, k, v, "the membership table", errors)
                        }
                    }
                }
                "tenants" => match v.as_array() {
                    Some(a) => {
                        for value in a.iter() {
                            match value.as_str() {
                                Some(name) => spec.tenants.push(name.to_string()),
                                None => errors.push(file.error_labelled(
                                    value.span(),
                                    "a tenant name must be a string",
                                    "expected a string",
                                )),
                            }
                        }
                    }
                    None => errors.push(
                        file.error_labelled(
                            item_span(k, v),
                            format!("`tenants` must be a list of names, found {}", kind(v)),
                            "expected an array",
                        )
                        .with_help("write `tenants = [\"acme\", \"globex\"]`"),
                    ),
                },
                "members" => match v.as_table_like() {
                    Some(members) => {
                        for (who, what) in entries(members) {
                            spec.parse_member(index, file, who, what, errors);
                        }
                    }
                    None => errors.push(file.not_a_table("`tenancy.members`", k, v)),
                },
                _ => errors.push(file.unknown_key(k, "[tenancy] key", &KEYS)),
            }
        }
        Some(spec)
    }

    fn parse_member(
        &mut self,
        index: usize,
        file: &SourceFile,
        who: &Key,
        what: &Item,
        errors: &mut SpecErrors,
    ) {
        let identity_loc = loc(index, who.span());
        const HELP: &str = "write `alice = \"acme\"` (the default role) or `alice = { acme = \"admin\", globex = \"member\" }`";
        match what {
            Item::Value(Value::String(s)) => self.members.push(MemberSpec {
                identity: who.get().to_string(),
                tenant: s.value().clone(),
                role: None,
                identity_loc,
                tenant_loc: loc(index, s.span()),
                role_loc: None,
            }),
            _ => match what.as_table_like() {
                Some(t) => {
                    for (tenant, role) in entries(t) {
                        let Some(r) = role.as_str() else {
                            errors.push(
                                file.error_labelled(
                                    item_span(tenant, role),
                                    format!("a role must be a string, found {}", kind(role)),
                                    "expected a string",
                                )
                                .with_help(HELP),
                            );
                            continue;
                        };
                        self.members.push(MemberSpec {
                            identity: who.get().to_string(),
                            tenant: tenant.get().to_string(),
                            role: Some(r.to_string()),
                            identity_loc,
                            tenant_loc: loc(index, tenant.span()),
                            role_loc: Some(loc(index, role.span())),
                        });
                    }
                }
                None => errors.push(
                    file.error_labelled(
                        item_span(who, what),
                        format!(
                            "the memberships of `{}` must be a tenant or a table, found {}",
                            who.get(),
                            kind(what)
                        ),
                        "expected a string or a table",
                    )
                    .with_help(HELP),
                ),
            },
        }
    }
}

fn string(
    file: &SourceFile,
    key: &Key,
    item: &Item,
    what: &str,
    errors: &mut SpecErrors,
) -> Option<String> {
    match item.as_str() {
        Some(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => {
            errors.push(file.error_labelled(
                item_span(key, item),
                format!("`{}` must name {what}, found {}", key.get(), kind(item)),
                "expected a string",
            ));
            None
        }
    }
}

/// The closest of `known` to `name`, as help.
pub(super) fn suggest<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
    what: &str,
) -> String {
    did_you_mean(name, known.clone()).unwrap_or_else(|| {
        let list: Vec<&str> = known.into_iter().collect();
        if list.is_empty() {
            format!("there are no {what}")
        } else {
            format!("{what}: {}", list.join(", "))
        }
    })
}
