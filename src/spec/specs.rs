//! Declared access: `policy_specs/*.toml` (every file but identities.toml).
//!
//! Each table lists, per identity, role group or `"*"`, the scope of each command; a
//! `[defaults]` table applies to every table. See docs/specs.md for the format and the
//! precedence rules.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use toml_edit::{Item, Key, TableLike, Value};

use super::error::{closest, did_you_mean, Location, SpecError, SpecErrors};
use super::fixtures::FixtureRow;
use super::function_specs::FunctionSpecs;
use super::identities::{Identity, IDENTITIES_FILE};
use super::source::{entries, item_span, kind, value_kind, SourceFile};
use crate::matrix::{Command, InsertScope, Scope, TableRef};
use crate::probe::functions::FunctionAccess;

/// The database roles every Supabase project has; each is also a group key in a spec.
pub const ROLE_GROUPS: [&str; 3] = ["anon", "authenticated", "service_role"];
/// The key that matches every identity.
pub const EVERYONE: &str = "*";
/// The label of rows owned by nobody.
pub const PUBLIC_LABEL: &str = "public";

const TOP_LEVEL_KEYS: [&str; 4] = ["defaults", "tables", "functions", "function_defaults"];
const ENTRY_KEYS: [&str; 5] = ["select", "insert", "update", "delete", "transfer"];
const SCOPE_WORDS: [&str; 3] = ["none", "own", "all"];
const INSERT_WORDS: [&str; 5] = ["deny", "own", "any", "none", "all"];

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

/// How the owner of a table's rows is found, when the spec overrides inference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerSpec {
    /// `owner = "owner_id"`: this column holds the owner's `auth.uid()`.
    Column(String),
    /// `owner = "via conversation_id"`: a row belongs to the owner of the row this foreign key
    /// column references.
    Via(String),
    /// `owner = false`: rows of this table belong to nobody.
    Nobody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    file: usize,
    start: usize,
    end: usize,
}

impl Loc {
    fn span(self) -> Range<usize> {
        self.start..self.end
    }
}

fn loc(file: usize, span: Option<Range<usize>>) -> Loc {
    let span = span.unwrap_or(0..0);
    Loc {
        file,
        start: span.start,
        end: span.end,
    }
}

#[derive(Debug, Clone, Default)]
struct Rules {
    select: Option<(Scope, Loc)>,
    insert: Option<(InsertScope, Loc)>,
    update: Option<(Scope, Loc)>,
    delete: Option<(Scope, Loc)>,
    transfer: Option<(bool, Loc)>,
    /// Each label used in an explicit set, for validation.
    labels: Vec<(String, Loc)>,
}

impl Rules {
    /// The same declarations, wherever they were written.
    fn same_as(&self, other: &Rules) -> bool {
        fn value<T: PartialEq>(a: &Option<(T, Loc)>, b: &Option<(T, Loc)>) -> bool {
            a.as_ref().map(|x| &x.0) == b.as_ref().map(|x| &x.0)
        }
        value(&self.select, &other.select)
            && value(&self.insert, &other.insert)
            && value(&self.update, &other.update)
            && value(&self.delete, &other.delete)
            && value(&self.transfer, &other.transfer)
    }
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    key_loc: Loc,
    rules: Rules,
}

#[derive(Debug, Clone)]
struct TableSpec {
    key_loc: Loc,
    owner: Option<(OwnerSpec, Loc)>,
    entries: Vec<Entry>,
}

/// Every spec file of a project, parsed.
#[derive(Debug, Clone, Default)]
pub struct Specs {
    files: Vec<SourceFile>,
    defaults: Vec<Entry>,
    tables: BTreeMap<TableRef, TableSpec>,
    functions: FunctionSpecs,
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
        self.defaults.is_empty() && self.tables.is_empty() && self.functions.is_empty()
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

    fn error(&self, l: Loc, message: String, label: &str) -> SpecError {
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
        let mut rules_table = Vec::new();
        for (ekey, eitem) in entries(table) {
            if ekey.get() == "owner" {
                owner = parse_owner(index, file, ekey, eitem, errors);
            } else {
                rules_table.push((ekey, eitem));
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
        let insert = chain.iter().find_map(|e| e.rules.insert);
        let update = chain.iter().find_map(|e| e.rules.update.clone());
        let delete = chain.iter().find_map(|e| e.rules.delete.clone());
        let transfer = chain.iter().find_map(|e| e.rules.transfer);
        pick("select", select.as_ref().map(|s| s.1));
        pick("insert", insert.map(|s| s.1));
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
        let base_labels: BTreeSet<&str> = identities
            .iter()
            .filter(|i| i.owns_rows())
            .map(|i| i.name.as_str())
            .chain([PUBLIC_LABEL])
            .collect();

        let check_entries =
            |entries: &[Entry], table: Option<&TableRef>, errors: &mut SpecErrors| {
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
                        if !labels.contains(label.as_str()) {
                            let help =
                                did_you_mean(label, labels.iter().copied()).unwrap_or_else(|| {
                                    format!(
                                "labels are identity names, `public`, or fixture labels: {}",
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

fn parse_owner(
    index: usize,
    file: &SourceFile,
    key: &Key,
    item: &Item,
    errors: &mut SpecErrors,
) -> Option<(OwnerSpec, Loc)> {
    let l = loc(index, item_span(key, item));
    match item {
        Item::Value(Value::Boolean(b)) if !*b.value() => Some((OwnerSpec::Nobody, l)),
        Item::Value(Value::String(s)) => {
            let s = s.value().trim();
            let via = s
                .strip_prefix("via")
                .filter(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
                .map(str::trim);
            let spec = match via {
                Some(fk) if !fk.is_empty() && !fk.contains(char::is_whitespace) => {
                    OwnerSpec::Via(fk.to_string())
                }
                None if !s.is_empty() && !s.contains(char::is_whitespace) => {
                    OwnerSpec::Column(s.to_string())
                }
                _ => {
                    errors.push(
                        file.error_labelled(Some(l.span()), format!("invalid owner \"{s}\""), "expected a column name")
                            .with_help("write `owner = \"owner_id\"`, `owner = \"via conversation_id\"` or `owner = false`"),
                    );
                    return None;
                }
            };
            Some((spec, l))
        }
        _ => {
            errors.push(
                file.error_labelled(
                    Some(l.span()),
                    format!("`owner` must be a column name, found {}", kind(item)),
                    "expected a string",
                )
                .with_help("write `owner = \"owner_id\"`, `owner = \"via conversation_id\"` or `owner = false`"),
            );
            None
        }
    }
}

fn parse_entries(
    index: usize,
    file: &SourceFile,
    table: &dyn TableLike,
    context: &str,
    errors: &mut SpecErrors,
) -> Vec<Entry> {
    entries(table)
        .into_iter()
        .filter_map(|(k, v)| parse_entry(index, file, k, v, context, errors))
        .collect()
}

fn parse_entry(
    index: usize,
    file: &SourceFile,
    key: &Key,
    item: &Item,
    context: &str,
    errors: &mut SpecErrors,
) -> Option<Entry> {
    let who = key.get();
    let key_loc = loc(index, key.span());
    let mut rules = Rules::default();
    if who == "owner" {
        errors.push(
            file.error_labelled(
                key.span(),
                "`owner` applies to one table",
                "not in [defaults]",
            )
            .with_help("move it under the table it describes: `[tables.<name>]`"),
        );
        return None;
    }
    if ENTRY_KEYS.contains(&who) {
        errors.push(
            file.error_labelled(
                key.span(),
                format!("`{who}` needs an identity or role group"),
                "a command, not an identity",
            )
            .with_help(format!(
                "write `authenticated = {{ {who} = \"own\" }}`, or `[tables.{context}.<identity>]` above `{who} = ...`"
            )),
        );
        return None;
    }
    match item {
        Item::Value(Value::String(s)) => {
            let l = loc(index, s.span());
            let word = s.value().as_str();
            if !SCOPE_WORDS.contains(&word) {
                let help = match word {
                    "deny" => {
                        "`deny` is for insert only; for every command write \"none\"".to_string()
                    }
                    "any" => {
                        "`any` is for insert only; for every command write \"all\"".to_string()
                    }
                    _ if context != "defaults" && closest(who, ["owner"]).is_some() => {
                        format!("did you mean `owner = \"{word}\"`?")
                    }
                    _ => did_you_mean(word, SCOPE_WORDS).unwrap_or_else(|| {
                        "a string applies to every command: \"none\", \"own\" or \"all\""
                            .to_string()
                    }),
                };
                errors.push(
                    file.error_labelled(
                        s.span(),
                        format!("unknown scope \"{word}\""),
                        "not a scope",
                    )
                    .with_help(help),
                );
                return None;
            }
            let scope = scope_word(word).expect("checked above");
            rules.select = Some((scope.clone(), l));
            rules.update = Some((scope.clone(), l));
            rules.delete = Some((scope.clone(), l));
            rules.insert = Some((insert_word(word).expect("checked above"), l));
        }
        Item::Value(Value::Array(a)) => {
            errors.push(
                file.error_labelled(
                    a.span(),
                    format!("a label set needs a command for `{who}`"),
                    "which command?",
                )
                .with_help(format!(
                    "write `{who} = {{ select = {} }}`",
                    a.to_string().trim()
                )),
            );
            return None;
        }
        _ => match item.as_table_like() {
            Some(table) => {
                for (ckey, citem) in entries(table) {
                    parse_rule(index, file, ckey, citem, &mut rules, errors);
                }
            }
            None => {
                errors.push(
                    file.error_labelled(
                        item_span(key, item),
                        format!("the rules for `{who}` must be a scope or a table, found {}", kind(item)),
                        "expected a string or a table",
                    )
                    .with_help(format!(
                        "write `{who} = \"own\"` or `{who} = {{ select = \"all\", insert = \"deny\" }}`"
                    )),
                );
                return None;
            }
        },
    }
    Some(Entry {
        key: who.to_string(),
        key_loc,
        rules,
    })
}

fn parse_rule(
    index: usize,
    file: &SourceFile,
    key: &Key,
    item: &Item,
    rules: &mut Rules,
    errors: &mut SpecErrors,
) {
    let name = key.get();
    let span = item_span(key, item);
    let l = loc(index, span.clone());
    match name {
        "transfer" => match item.as_bool() {
            Some(b) => rules.transfer = Some((b, l)),
            None => errors.push(
                file.error_labelled(span, format!("`transfer` must be true or false, found {}", kind(item)), "expected a boolean"),
            ),
        },
        "insert" => match item.as_str() {
            Some(word) => match insert_word(word) {
                Some(scope) => rules.insert = Some((scope, l)),
                None => errors.push(
                    file.error_labelled(span, format!("unknown insert scope \"{word}\""), "not an insert scope")
                        .with_help(did_you_mean(word, INSERT_WORDS).unwrap_or_else(|| {
                            "insert is \"deny\", \"own\" or \"any\"".to_string()
                        })),
                ),
            },
            None => errors.push(
                file.error_labelled(span, format!("`insert` must be \"deny\", \"own\" or \"any\", found {}", kind(item)), "expected a string")
                    .with_help("label sets apply to select, update and delete; insert is \"deny\", \"own\" or \"any\""),
            ),
        },
        "select" | "update" | "delete" => {
            let scope = match item {
                Item::Value(Value::String(s)) => {
                    let word = s.value().as_str();
                    match scope_word(word) {
                        Some(scope) => Some(scope),
                        None => {
                            let help = match word {
                                "any" => "did you mean `all`? (`any` is for insert)".to_string(),
                                "deny" => "did you mean `none`? (`deny` is for insert)".to_string(),
                                _ => did_you_mean(word, SCOPE_WORDS).unwrap_or_else(|| {
                                    format!("{name} is \"none\", \"own\", \"all\" or a list of row labels")
                                }),
                            };
                            errors.push(
                                file.error_labelled(span, format!("unknown {name} scope \"{word}\""), "not a scope")
                                    .with_help(help),
                            );
                            None
                        }
                    }
                }
                Item::Value(Value::Array(array)) => {
                    let mut labels = BTreeSet::new();
                    let mut ok = true;
                    for value in array.iter() {
                        match value.as_str() {
                            Some(label) => {
                                labels.insert(label.to_string());
                                rules.labels.push((label.to_string(), loc(index, value.span())));
                            }
                            None => {
                                ok = false;
                                errors.push(file.error_labelled(
                                    value.span(),
                                    format!("a row label must be a string, found {}", value_kind(value)),
                                    "expected a string",
                                ));
                            }
                        }
                    }
                    ok.then_some(if labels.is_empty() { Scope::None } else { Scope::Labels(labels) })
                }
                _ => {
                    errors.push(
                        file.error_labelled(span, format!("`{name}` must be a scope or a list of labels, found {}", kind(item)), "expected a string or an array")
                            .with_help(format!("write `{name} = \"own\"` or `{name} = [\"alice\", \"public\"]`")),
                    );
                    None
                }
            };
            if let Some(scope) = scope {
                let slot = match name {
                    "select" => &mut rules.select,
                    "update" => &mut rules.update,
                    _ => &mut rules.delete,
                };
                *slot = Some((scope, l));
            }
        }
        _ => errors.push(file.unknown_key(key, "command", &ENTRY_KEYS)),
    }
}

fn scope_word(word: &str) -> Option<Scope> {
    match word {
        "none" => Some(Scope::None),
        "own" => Some(Scope::Own),
        "all" => Some(Scope::All),
        _ => None,
    }
}

fn insert_word(word: &str) -> Option<InsertScope> {
    match word {
        "deny" | "none" => Some(InsertScope::Deny),
        "own" => Some(InsertScope::Own),
        "any" | "all" => Some(InsertScope::Any),
        _ => None,
    }
}

/// `none`, `own`, `all` or `{a, b}`.
pub fn scope_text(scope: &Scope) -> String {
    crate::verdict::scope_words(scope)
}

pub fn insert_text(scope: InsertScope) -> &'static str {
    crate::verdict::insert_word(scope)
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
