//! Declarations checked against the migrated database: `owner` and `tenant` columns and
//! `[tenancy]` before rows are placed; the tenant and party words of the scopes once the row
//! model is known. Every problem is located, with a suggestion.

use super::error::SpecErrors;
use super::identities::Identity;
use super::row_model::{OwnerSpec, TenantSpec};
use super::rules::Loc;
use super::specs::Specs;
use super::tenancy::suggest;
use crate::matrix::{TableRef, TableRows};
use crate::probe::catalog::{Catalog, Relation};
use crate::probe::ownership::tenant::{role_values, Tenancy};

impl Specs {
    /// `owner` and `tenant` columns, and `[tenancy]`: its tables and columns, its members'
    /// identities, tenants and roles.
    pub fn validate_schema(
        &self,
        catalog: &Catalog,
        identities: &[Identity],
    ) -> Result<(), SpecErrors> {
        let mut errors = SpecErrors::default();
        for (table, spec) in &self.tables {
            let Some(rel) = catalog.get(table) else {
                continue;
            };
            if !rel.kind.holds_rows() {
                for (what, l) in [
                    ("owner", spec.owner.as_ref().map(|o| o.1)),
                    ("tenant", spec.tenant.as_ref().map(|t| t.1)),
                ] {
                    let Some(l) = l else { continue };
                    let help = match &rel.base {
                        Some(base) => format!(
                            "the rows of `{}` are rows of `{}` (it shows their key {}): they take its owner and tenant; declare `{what}` under [tables.{}] if it needs one, and remove this line",
                            table.display_name(),
                            base.display_name(),
                            rel.primary_key.join(", "),
                            super::specs::table_key(base)
                        ),
                        None => format!(
                            "`{}` shows no table's primary key, so its rows cannot be told apart; show the key (e.g. `id`) of the table it reads to use own, tenant and labels here",
                            table.display_name()
                        ),
                    };
                    errors.push(
                        self.error(
                            l,
                            format!("`{what}` on a view"),
                            "a view has no rows of its own",
                        )
                        .with_help(help),
                    );
                }
                continue;
            }
            if let Some((owner, l)) = &spec.owner {
                let columns = match owner {
                    OwnerSpec::Column(c) | OwnerSpec::Via(c) => vec![c],
                    OwnerSpec::Parties(cols) => cols.iter().collect(),
                    OwnerSpec::Nobody => Vec::new(),
                };
                for c in columns {
                    self.check_column(rel, c, *l, "owner", &mut errors);
                }
                if let OwnerSpec::Via(c) = owner {
                    self.check_foreign_key(rel, c, *l, "owner", &mut errors);
                }
            }
            if let Some((TenantSpec::Column(c) | TenantSpec::Via(c), l)) = &spec.tenant {
                if self.check_column(rel, c, *l, "tenant", &mut errors) {
                    self.check_foreign_key(rel, c, *l, "tenant", &mut errors);
                }
            }
        }
        if let Some(t) = self.tenancy.as_ref().filter(|t| t.enabled) {
            self.validate_tenancy(t, catalog, identities, &mut errors);
        }
        errors.into_result(())
    }

    fn validate_tenancy(
        &self,
        spec: &super::TenancySpec,
        catalog: &Catalog,
        identities: &[Identity],
        errors: &mut SpecErrors,
    ) {
        let names: Vec<String> = catalog
            .relations
            .iter()
            .map(|r| r.table.display_name())
            .collect();
        let find = |name: &str, at: Option<Loc>, what: &str, errors: &mut SpecErrors| {
            let table = super::specs::parse_table_name(name);
            let rel = catalog.get(&table);
            if rel.is_none() {
                if let Some(l) = at {
                    errors.push(
                        self.error(l, format!("unknown {what} table `{name}`"), "no such table")
                            .with_help(suggest(name, names.iter().map(String::as_str), "tables")),
                    );
                }
            }
            rel
        };
        let tenant = spec
            .tenant
            .as_deref()
            .and_then(|n| find(n, spec.tenant_loc, "tenant", errors));
        let membership = spec
            .membership
            .as_deref()
            .and_then(|n| find(n, spec.membership_loc, "membership", errors));
        if let Some(m) = membership {
            for (which, column) in [
                ("user", &spec.user_column),
                ("tenant", &spec.tenant_column),
                ("role", &spec.role_column),
            ] {
                let (Some(c), Some(l)) = (
                    column,
                    spec.column_locs
                        .iter()
                        .find(|(w, _)| *w == which)
                        .map(|(_, l)| *l),
                ) else {
                    continue;
                };
                if self.check_column(m, c, l, "membership", errors) && which != "role" {
                    self.check_foreign_key(m, c, l, "membership", errors);
                }
            }
            if let (Some(t), Some(c)) = (tenant, &spec.tenant_column) {
                let points_at = m
                    .foreign_keys
                    .iter()
                    .find(|fk| fk.columns == [c.clone()])
                    .map(|fk| &fk.target);
                if points_at.is_some_and(|target| *target != t.table) {
                    if let Some(l) = spec
                        .column_locs
                        .iter()
                        .find(|(w, _)| *w == "tenant")
                        .map(|(_, l)| *l)
                    {
                        errors.push(
                            self.error(
                                l,
                                format!(
                                    "`{c}` does not reference the tenant table `{}`",
                                    t.table.display_name()
                                ),
                                "another table",
                            )
                            .with_help(format!(
                                "name the column of `{}` that references `{}`",
                                m.table.display_name(),
                                t.table.display_name()
                            )),
                        );
                    }
                }
            }
        }
        let roles = membership
            .and_then(|m| {
                let column = spec.role_column.clone().or_else(|| {
                    crate::probe::ownership::tenant::ROLE_COLUMNS
                        .iter()
                        .find(|c| m.column(c).is_some())
                        .map(|c| c.to_string())
                })?;
                Some(role_values(m, &column))
            })
            .unwrap_or_default();
        let owners: Vec<&str> = identities
            .iter()
            .filter(|i| i.owns_rows())
            .map(|i| i.name.as_str())
            .collect();
        for member in &spec.members {
            if !owners.contains(&member.identity.as_str()) {
                let known = identities.iter().any(|i| i.name == member.identity);
                errors.push(
                    self.error(
                        member.identity_loc,
                        if known {
                            format!(
                                "`{}` owns no rows, so it cannot be a member",
                                member.identity
                            )
                        } else {
                            format!("unknown identity `{}`", member.identity)
                        },
                        if known {
                            "no user id"
                        } else {
                            "no identity has this name"
                        },
                    )
                    .with_help(suggest(
                        &member.identity,
                        owners.iter().copied(),
                        "identities with a user id",
                    )),
                );
            }
            if !spec.tenants.is_empty() && !spec.tenants.contains(&member.tenant) {
                errors.push(
                    self.error(
                        member.tenant_loc,
                        format!("unknown tenant `{}`", member.tenant),
                        "not in `tenants`",
                    )
                    .with_help(suggest(
                        &member.tenant,
                        spec.tenants.iter().map(String::as_str),
                        "tenants",
                    )),
                );
            }
            if let (Some(role), Some(l)) = (&member.role, member.role_loc) {
                if !roles.is_empty() && !roles.contains(role) {
                    errors.push(
                        self.error(
                            l,
                            format!("unknown role `{role}`"),
                            "not a value of the role column",
                        )
                        .with_help(suggest(
                            role,
                            roles.iter().map(String::as_str),
                            "roles",
                        )),
                    );
                }
            }
        }
    }

    /// `column` exists in `rel`; otherwise an error at `l` naming the closest column.
    fn check_column(
        &self,
        rel: &Relation,
        column: &str,
        l: Loc,
        what: &str,
        errors: &mut SpecErrors,
    ) -> bool {
        if rel.column(column).is_some() {
            return true;
        }
        errors.push(
            self.error(
                l,
                format!(
                    "`{}` has no column `{column}` (in `{what}`)",
                    rel.table.display_name()
                ),
                "no such column",
            )
            .with_help(suggest(
                column,
                rel.columns.iter().map(|c| c.name.as_str()),
                "columns",
            )),
        );
        false
    }

    /// `column` is a foreign key of `rel`.
    fn check_foreign_key(
        &self,
        rel: &Relation,
        column: &str,
        l: Loc,
        what: &str,
        errors: &mut SpecErrors,
    ) {
        if rel
            .foreign_keys
            .iter()
            .any(|fk| fk.columns.iter().any(|c| c == column))
        {
            return;
        }
        let keys: Vec<&str> = rel
            .foreign_keys
            .iter()
            .flat_map(|fk| fk.columns.iter().map(String::as_str))
            .collect();
        errors.push(
            self.error(
                l,
                format!(
                    "`{}.{column}` references no table (in `{what}`)",
                    rel.table.display_name()
                ),
                "not a foreign key",
            )
            .with_help(suggest(column, keys.iter().copied(), "foreign key columns")),
        );
    }

    /// The `tenant`, `tenant:ROLE` and `own:COLUMN` words: a tenant model exists, the table has
    /// a path to its tenant table, the role is one the role column holds, the column names a
    /// party of the table.
    pub fn validate_scopes(
        &self,
        rows: &[TableRows],
        tenancy: Option<&Tenancy>,
    ) -> Result<(), SpecErrors> {
        let mut errors = SpecErrors::default();
        if let (None, Some(spec)) = (tenancy, self.tenancy.as_ref().filter(|t| t.enabled)) {
            if let Some(l) = spec.at {
                let tenant = spec.tenant.as_deref().unwrap_or("a tenant table");
                errors.push(
                    self.error(
                        l,
                        format!("`[tenancy]` is incomplete: no membership table joins users to `{tenant}`"),
                        "no tenant model",
                    )
                    .with_help("name both tables and the membership's columns: `tenant = \"orgs\"`, `membership = { table = \"members\", user = \"user_id\", tenant = \"org_id\" }`, or `tenancy = false`"),
                );
            }
        }
        let tenant_scoped: Vec<String> = rows
            .iter()
            .filter(|r| r.tenant_scoped)
            .map(|r| r.table.display_name())
            .collect();
        let mut check = |word: &str, l: Loc, table: Option<&TableRef>| {
            let rows_of = table.and_then(|t| rows.iter().find(|r| &r.table == t));
            if let Some(role) = word.strip_prefix("tenant") {
                let Some(tenancy) = tenancy else {
                    errors.push(
                        self.error(l, format!("`{word}` needs a tenant model, and this project has none"), "no tenants")
                            .with_help("declare `[tenancy]` with `tenant` and `membership` (docs/specs.md#tenants-and-memberships), or use `own`, `all` or labels"),
                    );
                    return;
                };
                if let Some(role) = role.strip_prefix(':') {
                    if !tenancy.roles.is_empty() && !tenancy.roles.iter().any(|r| r == role) {
                        errors.push(
                            self.error(
                                l,
                                format!("unknown tenant role `{role}`"),
                                "not a value of the role column",
                            )
                            .with_help(suggest(
                                role,
                                tenancy.roles.iter().map(String::as_str),
                                "roles",
                            )),
                        );
                    }
                }
                if let (Some(t), Some(r)) = (table, rows_of) {
                    if !r.tenant_scoped {
                        errors.push(
                            self.error(
                                l,
                                format!("`{word}` on `{}`, which the tenant model does not reach", t.display_name()),
                                "no path to the tenant table",
                            )
                            .with_help(format!(
                                "rows of `{}` have no foreign-key path to `{}`: declare `tenant = \"via <column>\"` under [tables.{}], or use `own` or `all`; tenant-scoped tables: {}",
                                t.display_name(),
                                tenancy.table.display_name(),
                                super::specs::table_key(t),
                                tenant_scoped.join(", ")
                            )),
                        );
                    }
                }
            } else if let Some(column) = word.strip_prefix("own:") {
                if let Some(r) = rows_of {
                    if !r.parties.iter().any(|p| p == column) {
                        let help = if r.parties.len() > 1 {
                            suggest(
                                column,
                                r.parties.iter().map(String::as_str),
                                "party columns",
                            )
                        } else {
                            format!(
                                "`own:COLUMN` names one party of a row with several: declare `owner = [\"{column}\", \"...\"]` under [tables.{}]",
                                table.map(super::specs::table_key).unwrap_or_default()
                            )
                        };
                        errors.push(
                            self.error(
                                l,
                                format!(
                                    "`{}` has no party column `{column}`",
                                    r.table.display_name()
                                ),
                                "not a party",
                            )
                            .with_help(help),
                        );
                    }
                }
            }
        };
        for entry in &self.defaults {
            for (word, l) in &entry.rules.model_words {
                check(word, *l, None);
            }
        }
        for (table, spec) in &self.tables {
            for entry in &spec.entries {
                for (word, l) in &entry.rules.model_words {
                    check(word, *l, Some(table));
                }
            }
        }
        errors.into_result(())
    }
}
