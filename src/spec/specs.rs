//! Declared access: `policy_specs/*.toml` (every file but identities.toml).
//!
//! Each table lists, per identity, role group or `"*"`, the scope of each command; a
//! `[defaults]` table applies to every table. See docs/specs.md for the format and the
//! precedence rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use toml_edit::{Item, Key};

use super::error::{closest, did_you_mean, Location, SpecError, SpecErrors};
use super::fixtures::FixtureRow;
use super::function_specs::FunctionSpecs;
use super::identities::{Identity, IDENTITIES_FILE};
use super::row_model::{parse_owner, parse_tenant, OwnerSpec, TenantSpec};
pub use super::rules::{insert_text, insert_word, scope_text, scope_word};
use super::rules::{loc, parse_entries, parse_entry, Entry, Loc};
use super::source::{entries, SourceFile};
use super::tenancy::TenancySpec;
use crate::matrix::{Command, InsertScope, Scope, TableRef};
use crate::probe::functions::FunctionAccess;

/// The database roles every Supabase project has; each is also a group key in a spec.
pub const ROLE_GROUPS: [&str; 3] = ["anon", "authenticated", "service_role"];
/// The key that matches every identity.
pub const EVERYONE: &str = "*";
/// The label of rows owned by nobody.
pub const PUBLIC_LABEL: &str = "public";

const TOP_LEVEL_KEYS: [&str; 5] = [
    "defaults",
    "tables",
    "functions",
    "function_defaults",
    "tenancy",
];

/// What a spec declares for one table x identity; a command left `None` is unspecified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub select: Option<Scope>,
    pub insert: Option<InsertScope>,
    pub update: Option<Scope>,
    pub delete: Option<Scope>,
    /// May UPDATE hand an own row to another owner? `None`: yes only when `update = "all"`.
    pub transfer: Option<bool>,
    /// The most specific entry that contributed.
    pub source: Location,
    /// Where each command's value (and `transfer`) was declared.
    pub sources: BTreeMap<String, Location>,
}

impl Expectation {
    pub fn scope(&self, command: Command) -> Option<Scope> {
        match command {
            Command::Select => self.select.clone(),
            Command::Update => self.update.clone(),
            Command::Delete => self.delete.clone(),
            Command::Insert => None,
        }
    }

    /// The transfer expectation with its default applied.
    pub fn expects_transfer(&self) -> bool {
        self.transfer
            .unwrap_or(matches!(self.update, Some(Scope::All)))
    }

    pub fn command_source(&self, command: Command) -> &Location {
        self.sources.get(command.as_str()).unwrap_or(&self.source)
    }
}

#[derive(Debug, Clone)]
pub(super) struct TableSpec {
    pub key_loc: Loc,
    pub owner: Option<(OwnerSpec, Loc)>,
    pub tenant: Option<(TenantSpec, Loc)>,
    pub entries: Vec<Entry>,
}

/// Every spec file of a project, parsed.
#[derive(Debug, Clone, Default)]
pub struct Specs {
    pub(super) files: Vec<SourceFile>,
    pub(super) defaults: Vec<Entry>,
    pub(super) tables: BTreeMap<TableRef, TableSpec>,
    functions: FunctionSpecs,
    pub(super) tenancy: Option<TenancySpec>,
}

/// Read every `*.toml` in `dir` but identities.toml, in name order. A missing directory holds
/// no specs.
pub fn load_specs(dir: &Path) -> Result<Specs, SpecErrors> {
    let mut paths = Vec::new();
    if dir.is_dir() {
        let listing = std::fs::read_dir(dir)
            .map_err(|e| SpecError::file(dir, format!("cannot read {}: {e}", dir.display())))?;
        for entry in listing.flatten() {
            let path = entry.path();
            let is_toml = path.extension().is_some_and(|e| e == "toml");
            let is_identities = path.file_name().is_some_and(|n| n == IDENTITIES_FILE);
            if is_toml && !is_identities && path.is_file() {
                paths.push(path);
            }
        }
    }
    paths.sort();
    let mut files = Vec::new();
    let mut errors = SpecErrors::default();
    for path in paths {
        match SourceFile::read(&path) {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e),
        }
    }
    match Specs::from_sources(files) {
        Ok(specs) => errors.into_result(specs),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

impl Specs {
    /// Parse already-read files (tests, `rlsgate snapshot`).
    pub fn from_sources(files: Vec<SourceFile>) -> Result<Specs, SpecErrors> {
        let mut specs = Specs {
            files: files.clone(),
            defaults: Vec::new(),
            tables: BTreeMap::new(),
            functions: FunctionSpecs::default(),
            tenancy: None,
        };
        let mut errors = SpecErrors::default();
        for (index, file) in files.iter().enumerate() {
            if let Err(e) = specs.parse_file(index, file) {
                errors.extend(e);
            }
        }
        errors.into_result(specs)
    }

    pub fn parse_str(path: impl AsRef<Path>, text: &str) -> Result<Specs, SpecErrors> {
        Specs::from_sources(vec![SourceFile::new(path.as_ref(), text)])
    }

    pub fn is_empty(&self) -> bool {
        self.defaults.is_empty()
            && self.tables.is_empty()
            && self.functions.is_empty()
            && self.tenancy.is_none()
    }

    /// `[functions]` and `[function_defaults]`.
    pub fn functions(&self) -> &FunctionSpecs {
        &self.functions
    }

    /// Unknown functions, identities and roles in `[functions]` and `[function_defaults]`.
    pub fn validate_functions(
        &self,
        functions: &[FunctionAccess],
        identities: &[Identity],
    ) -> Result<(), SpecErrors> {
        let mut errors = SpecErrors::default();
        self.functions
            .validate(&self.files, functions, identities, &mut errors);
        errors.into_result(())
    }

    /// The tables a spec names.
    pub fn tables(&self) -> impl Iterator<Item = &TableRef> {
        self.tables.keys()
    }

    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    fn location(&self, l: Loc) -> Location {
        self.files[l.file].location(Some(l.span()))
    }

    pub(super) fn error(&self, l: Loc, message: String, label: &str) -> SpecError {
        self.files[l.file].error_labelled(Some(l.span()), message, label)
    }

    fn parse_file(&mut self, index: usize, file: &SourceFile) -> Result<(), SpecErrors> {
        let doc = file.parse()?;
        let mut errors = SpecErrors::default();
        for (key, item) in entries(doc.as_table()) {
            match key.get() {
                "defaults" => match item.as_table_like() {
                    Some(table) => {
                        for entry in parse_entries(index, file, table, "defaults", &mut errors) {
                            if let Some(first) =
                                self.defaults.iter().find(|d| d.key == entry.key)
                            {
                                if !first.rules.same_as(&entry.rules) {
                                    errors.push(
                                        file.error_labelled(
                                            Some(entry.key_loc.span()),
                                            format!(
                                                "conflicting defaults for `{}`",
                                                entry.key
                                            ),
                                            "differs from an earlier [defaults]",
                                        )
                                        .with_help(format!(
                                            "[defaults] apply to every table of every file; first declared at {}",
                                            self.location(first.key_loc)
                                        )),
                                    );
                                }
                            } else {
                                self.defaults.push(entry);
                            }
                        }
                    }
                    None => errors.push(file.not_a_table("`defaults`", key, item)),
                },
                "tables" => match item.as_table_like() {
                    Some(tables) => {
                        for (tkey, titem) in entries(tables) {
                            self.parse_table(index, file, tkey, titem, &mut errors);
                        }
                    }
                    None => errors.push(file.not_a_table("`tables`", key, item)),
                },
                "functions" => self
                    .functions
                    .parse_functions(index, file, key, item, &mut errors),
                "function_defaults" => self
                    .functions
                    .parse_defaults(index, file, key, item, &mut errors),
                "tenancy" => match &self.tenancy {
                    Some(first) => errors.push(
                        file.error_labelled(key.span(), "`[tenancy]` is declared twice", "declared again")
                            .with_help(format!("first declared at {}", first.location(&self.files))),
                    ),
                    None => self.tenancy = TenancySpec::parse(index, file, key, item, &mut errors),
                },
                _ => errors.push(
                    file.unknown_key(key, "top-level key", &TOP_LEVEL_KEYS)
                        .with_help_opt(Some(
                            did_you_mean(key.get(), TOP_LEVEL_KEYS).unwrap_or_else(|| {
                                format!(
                                    "a table's rules go under `[tables.{}]`; defaults under `[defaults]`",
                                    key.get()
                                )
                            }),
                        )),
                ),
            }
        }
        errors.into_result(())
    }

    fn parse_table(
        &mut self,
        index: usize,
        file: &SourceFile,
        key: &Key,
        item: &Item,
        errors: &mut SpecErrors,
    ) {
        let name = key.get();
        let table_ref = parse_table_name(name);
        let key_loc = loc(index, key.span());
        let Some(table) = item.as_table_like() else {
            errors.push(
                file.not_a_table(&format!("`tables.{name}`"), key, item)
                .with_help(format!(
                    "write `[tables.{name}]` and one line per identity, e.g. `authenticated = \"own\"`"
                )),
            );
            return;
        };
        if let Some(first) = self.tables.get(&table_ref) {
            let first_at = self.location(first.key_loc);
            errors.push(
                file.error_labelled(
                    key.span(),
                    format!("table `{table_ref}` is declared twice"),
                    "declared again",
                )
                .with_help(format!("first declared at {first_at}")),
            );
            return;
        }
        let mut owner = None;
        let mut tenant = None;
        let mut rules_table = Vec::new();
        for (ekey, eitem) in entries(table) {
            match ekey.get() {
                "owner" => owner = parse_owner(index, file, ekey, eitem, errors),
                "tenant" => tenant = parse_tenant(index, file, ekey, eitem, errors),
                _ => rules_table.push((ekey, eitem)),
            }
        }
        let entries = rules_table
            .into_iter()
            .filter_map(|(k, v)| parse_entry(index, file, k, v, name, errors))
            .collect();
        self.tables.insert(
            table_ref,
            TableSpec {
                key_loc,
                owner,
                tenant,
                entries,
            },
        );
    }

    /// What the specs declare for `identity` on `table`, following the precedence: identity
    /// name > role group > `"*"` in the table, then the same three in `[defaults]`. Each
    /// command is resolved on its own. `None` when no entry applies at all.
    pub fn expectation(&self, table: &TableRef, identity: &Identity) -> Option<Expectation> {
        self.expectation_for(table, &identity.name, &identity.role)
    }

    /// [`Specs::expectation`] by name and role.
    pub fn expectation_for(&self, table: &TableRef, name: &str, role: &str) -> Option<Expectation> {
        let chain: Vec<&Entry> = self
            .chain(table, name, role)
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        let first = chain.first()?;
        let mut sources = BTreeMap::new();
        let mut pick = |name: &str, found: Option<Loc>| {
            if let Some(l) = found {
                sources.insert(name.to_string(), self.location(l));
            }
        };
        let select = chain.iter().find_map(|e| e.rules.select.clone());
        let insert = chain.iter().find_map(|e| e.rules.insert.clone());
        let update = chain.iter().find_map(|e| e.rules.update.clone());
        let delete = chain.iter().find_map(|e| e.rules.delete.clone());
        let transfer = chain.iter().find_map(|e| e.rules.transfer);
        pick("select", select.as_ref().map(|s| s.1));
        pick("insert", insert.as_ref().map(|s| s.1));
        pick("update", update.as_ref().map(|s| s.1));
        pick("delete", delete.as_ref().map(|s| s.1));
        pick("transfer", transfer.map(|s| s.1));
        Some(Expectation {
            select: select.map(|s| s.0),
            insert: insert.map(|s| s.0),
            update: update.map(|s| s.0),
            delete: delete.map(|s| s.0),
            transfer: transfer.map(|s| s.0),
            source: self.location(first.key_loc),
            sources,
        })
    }

    /// The entries that apply to `name` (with `role`) on `table`, most specific first; `true`
    /// marks entries of the table's own section.
    fn chain(&self, table: &TableRef, name: &str, role: &str) -> Vec<(bool, &Entry)> {
        let keys = [name, role, EVERYONE];
        let table_entries = self.tables.get(table).map_or(&[][..], |t| &t.entries[..]);
        [(true, table_entries), (false, &self.defaults[..])]
            .into_iter()
            .flat_map(|(in_table, entries)| {
                let mut seen = BTreeSet::new();
                keys.iter()
                    .filter(move |k| seen.insert(**k))
                    .filter_map(move |k| entries.iter().find(|e| e.key == *k))
                    .map(move |e| (in_table, e))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Which key declares `what` (a command name or `transfer`) for `name` on `table`: `Some((true,
    /// key))` for a key of the table's section, `Some((false, key))` for one in `[defaults]`.
    pub fn declared_by(
        &self,
        table: &TableRef,
        name: &str,
        role: &str,
        what: &str,
    ) -> Option<(bool, String)> {
        self.chain(table, name, role)
            .into_iter()
            .find(|(_, e)| match what {
                "select" => e.rules.select.is_some(),
                "insert" => e.rules.insert.is_some(),
                "update" => e.rules.update.is_some(),
                "delete" => e.rules.delete.is_some(),
                "transfer" => e.rules.transfer.is_some(),
                _ => false,
            })
            .map(|(in_table, e)| (in_table, e.key.clone()))
    }

    /// The owner column a spec names for `table` (`owner = "owner_id"`).
    pub fn owner_override(&self, table: &TableRef) -> Option<&str> {
        match self.owner_spec(table)? {
            OwnerSpec::Column(c) => Some(c),
            _ => None,
        }
    }

    /// The full owner declaration: a column, `via` a foreign key, or nobody.
    pub fn owner_spec(&self, table: &TableRef) -> Option<&OwnerSpec> {
        self.tables.get(table)?.owner.as_ref().map(|(o, _)| o)
    }

    /// The tenant declaration of `table`: a column, `via` a foreign key, or none.
    pub fn tenant_spec(&self, table: &TableRef) -> Option<&TenantSpec> {
        self.tables.get(table)?.tenant.as_ref().map(|(t, _)| t)
    }

    /// The tenant names rows may be labelled with: those `[tenancy]` declares, or the default
    /// `t1` and `t2`.
    pub fn tenant_names(&self) -> Vec<String> {
        let mut names: Vec<String> = vec!["t1".into(), "t2".into()];
        if let Some(t) = &self.tenancy {
            for name in t.tenants.iter().chain(t.members.iter().map(|m| &m.tenant)) {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        names
    }

    /// `[tenancy]`, when a file declares it.
    pub fn tenancy(&self) -> Option<&TenancySpec> {
        self.tenancy.as_ref()
    }

    /// Where `table`'s `owner` is declared, for errors about the column.
    pub fn owner_location(&self, table: &TableRef) -> Option<Location> {
        let (_, l) = self.tables.get(table)?.owner.as_ref()?;
        Some(self.location(*l))
    }

    /// Check names against the database and the identities: tables, identity and role keys,
    /// labels (identity names and `public`). Use [`Specs::validate_with`] when fixtures
    /// define more labels.
    pub fn validate(&self, tables: &[TableRef], identities: &[Identity]) -> Result<(), SpecErrors> {
        self.validate_with(tables, identities, &[])
    }

    /// [`Specs::validate`], also accepting the labels of `fixtures` on their tables.
    pub fn validate_with(
        &self,
        tables: &[TableRef],
        identities: &[Identity],
        fixtures: &[FixtureRow],
    ) -> Result<(), SpecErrors> {
        let mut errors = SpecErrors::default();
        let mut keys: BTreeSet<&str> = identities.iter().map(|i| i.name.as_str()).collect();
        keys.extend(identities.iter().map(|i| i.role.as_str()));
        keys.extend(ROLE_GROUPS);
        keys.insert(EVERYONE);
        let table_names: Vec<String> = tables.iter().map(TableRef::display_name).collect();
        let tenants = self.tenant_names();
        let fillers: Vec<String> = tenants
            .iter()
            .map(|t| crate::probe::ownership::tenant::filler_name(t))
            .collect();
        let base_labels: BTreeSet<&str> = identities
            .iter()
            .filter(|i| i.owns_rows())
            .map(|i| i.name.as_str())
            .chain([PUBLIC_LABEL])
            .chain(tenants.iter().map(String::as_str))
            .chain(fillers.iter().map(String::as_str))
            .collect();

        let check_entries = |entries: &[Entry],
                             table: Option<&TableRef>,
                             errors: &mut SpecErrors| {
            let mut labels = base_labels.clone();
            labels.extend(
                fixtures
                    .iter()
                    .filter(|f| table.is_none_or(|t| &f.table == t))
                    .map(|f| f.label.as_str()),
            );
            for entry in entries {
                if !keys.contains(entry.key.as_str()) {
                    let help = did_you_mean(&entry.key, keys.iter().copied())
                        .unwrap_or_else(|| known_identities_help(identities));
                    errors.push(
                        self.error(
                            entry.key_loc,
                            format!("unknown identity or role `{}`", entry.key),
                            "no identity or role has this name",
                        )
                        .with_help(help),
                    );
                }
                for (label, l) in &entry.rules.labels {
                    // `alice&bob` (parties), `alice@t2` (a member outside its first tenant)
                    let known = labels.contains(label.as_str())
                        || (label.contains(['&', '@'])
                            && label.split(['&', '@']).all(|part| labels.contains(part)));
                    if !known {
                        let help =
                                did_you_mean(label, labels.iter().copied()).unwrap_or_else(|| {
                                    format!(
                                "labels are identity names, tenant names, `public`, or fixture labels: {}",
                                labels.iter().copied().collect::<Vec<_>>().join(", ")
                            )
                                });
                        errors.push(
                            self.error(
                                *l,
                                format!("unknown row label `{label}`"),
                                "no row has this label",
                            )
                            .with_help(help),
                        );
                    }
                }
            }
        };

        check_entries(&self.defaults, None, &mut errors);
        for (table, spec) in &self.tables {
            if !tables.contains(table) {
                let shown = table.display_name();
                let help = closest(&shown, table_names.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"))
                    .or_else(|| {
                        closest(&table.name, tables.iter().map(|t| t.name.as_str()))
                            .map(|c| format!("did you mean `{c}`?"))
                    })
                    .unwrap_or_else(|| {
                        if table_names.is_empty() {
                            "the database exposes no tables".to_string()
                        } else {
                            format!("exposed tables: {}", table_names.join(", "))
                        }
                    });
                errors.push(
                    self.error(
                        spec.key_loc,
                        format!("unknown table `{shown}`"),
                        "no such table or view in the exposed schemas",
                    )
                    .with_help(help),
                );
            }
            check_entries(&spec.entries, Some(table), &mut errors);
        }
        errors.into_result(())
    }
}

/// `name` is `public.name`; `schema.name` keeps its schema.
pub fn parse_table_name(name: &str) -> TableRef {
    match name.split_once('.') {
        Some((schema, table)) => TableRef::new(schema, table),
        None => TableRef::new("public", name),
    }
}

/// The key a spec uses for a table: `name` for public tables, `schema.name` otherwise.
pub fn table_key(table: &TableRef) -> String {
    table.display_name()
}

/// The help for an unknown identity or role when no name is close enough to suggest.
pub(crate) fn known_identities_help(identities: &[Identity]) -> String {
    format!(
        "known identities: {}; role groups: {}; or \"*\" for everyone",
        identities
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        ROLE_GROUPS.join(", ")
    )
}
