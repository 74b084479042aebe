//! Where a cell's finding is in the repository: the spec line that declares the cell, the
//! migration statement that opens it (the policy, or the `create table` of a table without RLS),
//! the statement that creates its table or function. Code scanning and annotations show a
//! finding there; the JSON report carries the places so `merge` keeps them.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::lint::model::PolicyCommand;
use crate::lint::{Location, ObjectKey, Provenance};
use crate::matrix::{Command, FunctionRef, Outcome, TableRef};
use crate::probe::functions::FunctionAccess;
use crate::probe::provenance::{CellProvenance, Source};
use crate::spec::{Identity, Specs};
use crate::sql::names::QualifiedName;
use crate::verdict::{Action, Cell, CellOutcome, Subject};

/// What a place is to the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    /// The spec line whose value decided the cell.
    Spec,
    /// A migration statement that opens the access (a policy, a table left without RLS).
    Opener,
    /// The statement that creates (or last changed) the table, view or function.
    Object,
    /// Nothing names the object: the last migration file.
    Fallback,
}

/// A line range in a file, and what is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// As rlsgate prints paths: relative to the working directory, or absolute.
    pub file: String,
    pub line: u32,
    /// The last line of the statement (0: `line` alone).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub end_line: u32,
    pub kind: PlaceKind,
    /// `declared here`, `policy "own rows" opens it`, ...
    pub what: String,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The places of one cell, first the one to show it at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellPlaces {
    /// `schema.name` or `schema.name(argument types)`.
    pub subject: String,
    pub identity: String,
    pub action: Action,
    pub places: Vec<Place>,
}

/// The places of every cell that is not a pass, and the file a finding no statement names is
/// shown at.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Places {
    #[serde(default)]
    pub cells: Vec<CellPlaces>,
    /// The last migration file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

impl Places {
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.fallback.is_none()
    }

    /// The places of `cell`; none when the run did not locate it.
    pub fn of(&self, cell: &Cell) -> &[Place] {
        let subject = cell.subject.to_string();
        self.cells
            .iter()
            .find(|c| {
                c.subject == subject && c.identity == cell.identity && c.action == cell.action
            })
            .map_or(&[], |c| &c.places)
    }

    /// `other`'s cells added, each once (for `merge`).
    pub fn extend(&mut self, other: &Places) {
        for cell in &other.cells {
            if !self.cells.contains(cell) {
                self.cells.push(cell.clone());
            }
        }
        if self.fallback.is_none() {
            self.fallback.clone_from(&other.fallback);
        }
    }

    /// The place of a finding nothing locates: the last migration, or the project's
    /// `rlsgate.toml` for a report without one.
    pub fn fallback_place(&self, project: &str) -> Place {
        fallback_place(self.fallback.as_deref(), project)
    }
}

fn fallback_place(last_migration: Option<&str>, project: &str) -> Place {
    Place {
        file: last_migration.map_or_else(
            || shown(&Path::new(project).join("rlsgate.toml")),
            str::to_string,
        ),
        line: 1,
        end_line: 0,
        kind: PlaceKind::Fallback,
        what: "no migration statement names this object: shown at the last migration".to_string(),
    }
}

/// `path` as rlsgate prints it (no leading `./`).
pub fn shown(path: &Path) -> String {
    path.strip_prefix("./")
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What locating cells reads: the specs, the identities as probed, the functions, the
/// migrations' static model, and the traced sources of failed cells.
pub struct Locator<'a> {
    pub specs: &'a Specs,
    pub identities: &'a [Identity],
    pub functions: &'a [FunctionAccess],
    /// The project's migrations, named as rlsgate prints paths.
    pub migrations: &'a Provenance,
    /// What grants each traced cell (failed cells whose access is wider than declared).
    pub openers: &'a [CellProvenance],
}

impl Locator<'_> {
    /// The places of every cell that is not a pass; each has at least one place.
    pub fn places(&self, cells: &[Cell]) -> Places {
        let fallback = self.migrations.sources.files.last().map(|f| f.path.clone());
        let openers: HashMap<(&TableRef, &str, Command), &CellProvenance> = self
            .openers
            .iter()
            .map(|p| ((&p.table, p.identity.as_str(), p.command), p))
            .collect();
        let mut located = Vec::new();
        for cell in cells.iter().filter(|c| c.outcome != CellOutcome::Pass) {
            let mut places = match (&cell.subject, cell.command()) {
                (Subject::Relation(table), Some(command)) => {
                    let opener = openers.get(&(table, cell.identity.as_str(), command));
                    self.relation_places(cell, table, command, opener.copied())
                }
                (Subject::Function { function, .. }, _) => self.function_places(cell, function),
                (Subject::Relation(_), None) => Vec::new(),
            };
            let mut seen = BTreeSet::new();
            places.retain(|p| seen.insert((p.file.clone(), p.line)));
            if places.is_empty() {
                places.push(fallback_place(fallback.as_deref(), ""));
            }
            located.push(CellPlaces {
                subject: cell.subject.to_string(),
                identity: cell.identity.clone(),
                action: cell.action,
                places,
            });
        }
        Places {
            cells: located,
            fallback,
        }
    }

    /// A failed cell: what opens it, its spec line, the last statement naming the table. A
    /// suspicious one: what opens it and the `create table`. An inconclusive one: its spec line and the `create table`. A policy error: the policies
    /// that apply to the identity's role and the command (one of them raised), the spec line,
    /// the `create table`. An unspecified one: the `create table`, then the identity's spec
    /// entry.
    fn relation_places(
        &self,
        cell: &Cell,
        table: &TableRef,
        command: Command,
        opener: Option<&CellProvenance>,
    ) -> Vec<Place> {
        let spec = self.relation_spec(table, &cell.identity, command);
        let created = self.created(table);
        let mut places = Vec::new();
        let openers = opener
            .map(|p| self.opener_places(table, &p.sources))
            .unwrap_or_default();
        match cell.outcome {
            CellOutcome::Fail => {
                places.extend(openers);
                places.extend(spec);
                places.extend(self.last_mention(table).or(created));
            }
            CellOutcome::Suspicious => places.extend(openers.into_iter().chain(created)),
            CellOutcome::Inconclusive => places.extend(spec.into_iter().chain(created)),
            CellOutcome::PolicyError => {
                places.extend(self.applicable_policies(cell, table, command));
                places.extend(spec.into_iter().chain(created));
            }
            _ => places.extend(created.into_iter().chain(spec)),
        }
        places
    }

    /// A failed function cell: the `create function` (whose default EXECUTE for PUBLIC, or a
    /// grant, opens it), then the spec line; otherwise the spec line first.
    fn function_places(&self, cell: &Cell, function: &FunctionRef) -> Vec<Place> {
        let spec = self
            .functions
            .iter()
            .find(|f| &f.function == function)
            .zip(self.identities.iter().find(|i| i.name == cell.identity))
            .and_then(|(f, i)| self.specs.functions().expectation(f, i))
            .map(|e| spec_place(&e.source, "declared here"));
        let name = QualifiedName::new(function.schema.clone(), function.name.clone());
        let created = self
            .migrations
            .location(&ObjectKey::function(&name))
            .map(|l| {
                place(
                    &l,
                    PlaceKind::Object,
                    format!("{} is created here", function.display_name()),
                )
            });
        if matches!(cell.outcome, CellOutcome::Fail | CellOutcome::Suspicious) {
            created.into_iter().chain(spec).collect()
        } else {
            spec.into_iter().chain(created).collect()
        }
    }

    /// The spec line of the command's value (or, for an unspecified command, the entry that
    /// would hold it).
    fn relation_spec(&self, table: &TableRef, identity: &str, command: Command) -> Option<Place> {
        let identity = self.identities.iter().find(|i| i.name == identity)?;
        let expectation = self.specs.expectation(table, identity)?;
        let declared = match command {
            Command::Select => expectation.select.is_some(),
            Command::Insert => expectation.insert.is_some(),
            Command::Update => expectation.update.is_some(),
            Command::Delete => expectation.delete.is_some(),
        };
        let what = if declared {
            "declared here"
        } else {
            "the spec entry of this identity (it does not declare this command)"
        };
        Some(spec_place(expectation.command_source(command), what))
    }

    /// The `create policy` statements of the table that apply to the cell's role (or to every
    /// role) and command; first those that name what the error denied (`permission denied for
    /// table secrets`).
    fn applicable_policies(&self, cell: &Cell, table: &TableRef, command: Command) -> Vec<Place> {
        let name = QualifiedName::new(table.schema.clone(), table.name.clone());
        let role = self
            .identities
            .iter()
            .find(|i| i.name == cell.identity)
            .map(|i| i.role.as_str());
        let command = match command {
            Command::Select => PolicyCommand::Select,
            Command::Insert => PolicyCommand::Insert,
            Command::Update => PolicyCommand::Update,
            Command::Delete => PolicyCommand::Delete,
        };
        let denied = cell.probes.iter().find_map(|p| match &p.outcome {
            Outcome::PolicyError { message, .. } => denied_object(message),
            _ => None,
        });
        let mut policies: Vec<&crate::lint::model::Policy> = self
            .migrations
            .model
            .policies
            .iter()
            .filter(|p| p.table == name && p.command.expand().contains(&command))
            .filter(|p| {
                p.roles.is_empty()
                    || p.roles
                        .iter()
                        .any(|r| r == "public" || Some(r.as_str()) == role)
            })
            .collect();
        if let Some(object) = &denied {
            policies.sort_by_key(|p| {
                ![&p.using, &p.with_check]
                    .into_iter()
                    .flatten()
                    .any(|expr| expr.to_ascii_lowercase().contains(object.as_str()))
            });
        }
        policies
            .into_iter()
            .filter_map(|p| {
                let location = self.migrations.sources.location(p.site?)?;
                Some(place(
                    &location,
                    PlaceKind::Object,
                    format!(
                        "policy \"{}\" applies to this {}",
                        p.name,
                        command.as_str().to_ascii_lowercase()
                    ),
                ))
            })
            .collect()
    }

    /// The statement that creates the relation.
    fn created(&self, table: &TableRef) -> Option<Place> {
        let name = QualifiedName::new(table.schema.clone(), table.name.clone());
        let relation = self.migrations.model.relations.get(&name);
        let location = relation
            .and_then(|r| r.created)
            .and_then(|site| self.migrations.sources.location(site))
            .or_else(|| self.migrations.location(&ObjectKey::relation(&name)))?;
        let noun = relation.map_or("table", |r| r.kind.noun());
        Some(place(
            &location,
            PlaceKind::Object,
            format!("{noun} {table} is created here"),
        ))
    }

    /// The last statement, in migration order, that names the relation: where a dropped or
    /// rewritten policy, a revoke or a `disable row level security` shows.
    fn last_mention(&self, table: &TableRef) -> Option<Place> {
        let name = QualifiedName::new(table.schema.clone(), table.name.clone());
        let site = self.migrations.mention(&ObjectKey::relation(&name))?;
        let location = self.migrations.sources.location(site)?;
        Some(place(
            &location,
            PlaceKind::Object,
            format!("the last statement that names {table}"),
        ))
    }

    /// The statements behind the traced sources: each policy that grants the cell, the
    /// `create table` (or the statement disabling RLS) of a table RLS does not guard, the
    /// `create view` of a view that reads as its owner.
    fn opener_places(&self, table: &TableRef, sources: &[Source]) -> Vec<Place> {
        let name = QualifiedName::new(table.schema.clone(), table.name.clone());
        let relation = self.migrations.model.relations.get(&name);
        let at = |site: Option<crate::lint::model::Site>| {
            site.and_then(|s| self.migrations.sources.location(s))
        };
        let created = || {
            at(relation.and_then(|r| r.created))
                .or_else(|| self.migrations.location(&ObjectKey::relation(&name)))
        };
        let policy = |policy: &str| {
            self.migrations
                .location(&ObjectKey::policy(&name, policy))
                .map(|l| {
                    place(
                        &l,
                        PlaceKind::Opener,
                        format!("policy \"{policy}\" grants it"),
                    )
                })
        };
        let mut places = Vec::new();
        for source in sources {
            let found = match source {
                Source::Policy { name, .. } => policy(name),
                Source::Combined { names } => {
                    places.extend(names.iter().filter_map(|n| policy(n)));
                    None
                }
                Source::RlsDisabled => at(relation.and_then(|r| r.rls_disabled_at))
                    .or_else(created)
                    .map(|l| {
                        place(
                            &l,
                            PlaceKind::Opener,
                            format!("row level security is off on {table}"),
                        )
                    }),
                Source::Bypass { reason } => {
                    created().map(|l| place(&l, PlaceKind::Opener, format!("RLS bypass: {reason}")))
                }
                Source::ViewOwner { owner } => created().map(|l| {
                    place(
                        &l,
                        PlaceKind::Opener,
                        format!("view {table} reads as its owner {owner} (no security_invoker)"),
                    )
                }),
                Source::NoRls { kind } => created().map(|l| {
                    place(
                        &l,
                        PlaceKind::Opener,
                        format!("{kind} {table}: RLS does not apply"),
                    )
                }),
                Source::ViewInvoker | Source::Grant { .. } | Source::LimitedBy { .. } => None,
            };
            places.extend(found);
        }
        places
    }
}

fn place(location: &Location, kind: PlaceKind, what: String) -> Place {
    Place {
        file: location.file.clone(),
        line: location.line.max(1),
        end_line: if location.end_line > location.line {
            location.end_line
        } else {
            0
        },
        kind,
        what,
    }
}

/// What a `permission denied for table|view|function|sequence|schema NAME` error names,
/// lower case.
fn denied_object(message: &str) -> Option<String> {
    let rest = message.split("permission denied for ").nth(1)?;
    let mut words = rest.split_whitespace();
    let kind = words.next()?;
    if ![
        "table", "view", "function", "sequence", "schema", "relation",
    ]
    .contains(&kind)
    {
        return None;
    }
    let object = words.next()?.trim_matches('"').to_ascii_lowercase();
    let bare = object.rsplit('.').next().unwrap_or(&object).to_string();
    (!bare.is_empty()).then_some(bare)
}

fn spec_place(location: &crate::spec::Location, what: &str) -> Place {
    Place {
        file: shown(&location.file),
        line: u32::try_from(location.line).unwrap_or(u32::MAX).max(1),
        end_line: 0,
        kind: PlaceKind::Spec,
        what: what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::denied_object;

    #[test]
    fn the_object_a_permission_error_names() {
        assert_eq!(
            denied_object("permission denied for table secrets").as_deref(),
            Some("secrets")
        );
        assert_eq!(
            denied_object("permission denied for function private.is_member").as_deref(),
            Some("is_member")
        );
        assert_eq!(denied_object("infinite recursion detected in policy"), None);
        assert_eq!(denied_object("permission denied for largeobject 7"), None);
    }
}
