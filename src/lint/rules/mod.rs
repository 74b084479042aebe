//! One file per rule: its documentation, its check, its tests.

use super::diagnostic::{Diagnostic, Origin};
use super::model::{Model, Site};
use super::rule::Rule;
use super::source::Sources;

pub mod auth_uid_per_row;
pub mod auth_users_altered;
pub mod auth_users_exposed;
pub mod extension_in_public;
pub mod foreign_table_exposed;
pub mod function_search_path_mutable;
pub mod grant_truncate_to_api_role;
pub mod invalid_input;
pub mod materialized_view_exposed;
pub mod multiple_permissive_policies;
pub mod policy_always_true;
pub mod policy_captured_column;
pub mod policy_missing_to;
pub mod policy_owner_mismatch;
pub mod policy_owner_reassignable;
pub mod policy_user_metadata;
pub mod policy_without_rls;
pub mod revoke_without_effect;
pub mod rls_disabled;
pub mod rls_no_policy;
pub mod security_definer_executable;
pub mod security_definer_without_caller_check;
pub mod syntax_error;
pub mod unparsed_statement;
pub mod view_security_definer;

/// Schemas Postgres or Supabase own; user functions there are not the project's.
pub const SYSTEM_SCHEMAS: [&str; 14] = [
    "pg_catalog",
    "information_schema",
    "pg_toast",
    "auth",
    "storage",
    "extensions",
    "graphql",
    "graphql_public",
    "realtime",
    "supabase_functions",
    "supabase_migrations",
    "vault",
    "pgsodium",
    "net",
];

/// What every rule's check sees.
pub struct Context<'a> {
    pub model: &'a Model,
    /// What the migration files say (the same model for the static lint): where the catalog
    /// cannot tell (a policy's written TO clause, the REVOKE statements as written).
    pub files: &'a Model,
    pub sources: &'a Sources,
    pub exposed_schemas: &'a [String],
    pub origin: Origin,
}

impl Context<'_> {
    pub fn is_exposed(&self, schema: &str) -> bool {
        self.exposed_schemas.iter().any(|s| s == schema)
    }

    pub fn diagnostic(
        &self,
        rule: &'static Rule,
        site: Option<Site>,
        object: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            rule: rule.id,
            severity: rule.default_severity,
            origin: self.origin,
            location: site.and_then(|s| self.sources.location(s)),
            object: Some(object.into()),
            message: message.into(),
            help: help.into(),
        }
    }

    /// Narrow a statement's site to the part `find` locates in its source text.
    pub fn refine(
        &self,
        site: Option<Site>,
        find: impl Fn(&str) -> Option<(usize, usize)>,
    ) -> Option<Site> {
        let site = site?;
        let text = self.sources.text(site)?;
        Some(match find(text) {
            Some((s, e)) => Site {
                file: site.file,
                start: site.start + s,
                end: site.start + e,
            },
            None => site,
        })
    }

    /// A byte range inside a statement's site.
    pub fn within(&self, site: Option<Site>, start: usize, end: usize) -> Option<Site> {
        site.map(|s| Site {
            file: s.file,
            start: s.start + start,
            end: s.start + end,
        })
    }

    /// The first line of a statement's site, for rules that point at a whole statement.
    pub fn head(&self, site: Option<Site>) -> Option<Site> {
        self.refine(site, |text| {
            Some((0, text.find('\n').unwrap_or(text.len())))
        })
    }
}

/// Run every rule's check over the model.
pub fn check_all(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    rls_disabled::check(ctx, out);
    policy_without_rls::check(ctx, out);
    rls_no_policy::check(ctx, out);
    policy_always_true::check(ctx, out);
    policy_user_metadata::check(ctx, out);
    policy_missing_to::check(ctx, out);
    policy_captured_column::check(ctx, out);
    policy_owner_mismatch::check(ctx, out);
    policy_owner_reassignable::check(ctx, out);
    auth_uid_per_row::check(ctx, out);
    multiple_permissive_policies::check(ctx, out);
    security_definer_executable::check(ctx, out);
    security_definer_without_caller_check::check(ctx, out);
    revoke_without_effect::check(ctx, out);
    function_search_path_mutable::check(ctx, out);
    view_security_definer::check(ctx, out);
    auth_users_exposed::check(ctx, out);
    materialized_view_exposed::check(ctx, out);
    foreign_table_exposed::check(ctx, out);
    grant_truncate_to_api_role::check(ctx, out);
    extension_in_public::check(ctx, out);
    if ctx.origin == Origin::Static {
        auth_users_altered::check(ctx, out);
        unparsed_statement::check(ctx, out);
    }
}

/// `text` calls one of `functions` (an unqualified call means `public`).
pub(crate) fn calls_any(
    text: &str,
    functions: &std::collections::BTreeSet<crate::sql::names::QualifiedName>,
) -> bool {
    super::model::called_names(text)
        .iter()
        .any(|n| functions.contains(n))
}

/// `text` asks who the caller is, directly or through a helper that does.
pub(crate) fn gated_by_caller(
    text: &str,
    checkers: &std::collections::BTreeSet<crate::sql::names::QualifiedName>,
) -> bool {
    crate::lint::body::checks_caller(text) || calls_any(text, checkers)
}

/// Find `needle` (ASCII case-insensitive) in `text`.
/// Relations of `kind` (which cannot have row level security) in an exposed schema that anon
/// or authenticated can SELECT: shared by the materialized-view and foreign-table rules.
pub(crate) fn flag_readable_without_rls(
    ctx: &Context<'_>,
    out: &mut Vec<Diagnostic>,
    rule: &'static Rule,
    kind: super::model::RelKind,
    noun: &str,
) {
    for r in ctx.model.relations.values() {
        if r.kind != kind || !ctx.is_exposed(&r.name.schema) {
            continue;
        }
        let readers = r.api_roles_with(super::model::Privilege::Select);
        if readers.is_empty() {
            continue;
        }
        out.push(ctx.diagnostic(
            rule,
            ctx.head(r.created),
            r.name.to_string(),
            format!(
                "{noun} {} is readable by {} through the API and cannot have row level security",
                r.name,
                readers.join(", ")
            ),
            format!("move it to a schema the API does not expose, or `revoke select on {} from anon, authenticated;`", r.name),
        ));
    }
}

pub fn find_ci(text: &str, needle: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    lower
        .find(&needle.to_ascii_lowercase())
        .map(|i| (i, i + needle.len()))
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::lint::{lint_sources, Config, Diagnostic, SourceFile};

    pub fn lint(files: &[&str]) -> Vec<Diagnostic> {
        let files: Vec<SourceFile> = files
            .iter()
            .enumerate()
            .map(|(i, text)| SourceFile::new(format!("{:03}.sql", i + 1), *text))
            .collect();
        lint_sources(files, &Config::default()).diagnostics
    }

    /// Diagnostics of `rule` for the files, as `file:line:col: message`.
    pub fn findings(rule: &str, files: &[&str]) -> Vec<String> {
        lint(files)
            .into_iter()
            .filter(|d| d.rule == rule)
            .map(|d| {
                let l = d.location.expect("static findings have a location");
                format!("{}:{}:{}: {}", l.file, l.line, l.column, d.message)
            })
            .collect()
    }
}
