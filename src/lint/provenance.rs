//! Where each database object comes from: the statement that created or last altered it, so a
//! finding on the migrated catalog can name a file and line.

use std::collections::HashMap;

use super::diagnostic::Location;
use super::model::{Model, Site};
use super::source::{SourceFile, Sources};
use super::suppress::Suppression;
use crate::sql::names::QualifiedName;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// Tables, views, materialized views, foreign tables: one namespace in Postgres.
    Relation,
    Function,
    Policy,
    Extension,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub kind: ObjectKind,
    pub schema: String,
    pub name: String,
    /// The table, for policies.
    pub table: Option<QualifiedName>,
}

impl ObjectKey {
    pub fn relation(name: &QualifiedName) -> Self {
        ObjectKey {
            kind: ObjectKind::Relation,
            schema: name.schema.clone(),
            name: name.name.clone(),
            table: None,
        }
    }

    pub fn function(name: &QualifiedName) -> Self {
        ObjectKey {
            kind: ObjectKind::Function,
            schema: name.schema.clone(),
            name: name.name.clone(),
            table: None,
        }
    }

    pub fn policy(table: &QualifiedName, name: &str) -> Self {
        ObjectKey {
            kind: ObjectKind::Policy,
            schema: table.schema.clone(),
            name: name.to_string(),
            table: Some(table.clone()),
        }
    }

    pub fn extension(name: &str) -> Self {
        ObjectKey {
            kind: ObjectKind::Extension,
            schema: String::new(),
            name: name.to_string(),
            table: None,
        }
    }
}

/// Object -> the statement that created or last altered it, over one set of migration files.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub sources: Sources,
    /// The static model of the same files: RLS history, creation sites.
    pub model: Model,
    pub suppressions: Vec<Suppression>,
    objects: HashMap<ObjectKey, Site>,
    /// Every statement of every file, in migration order, split on first use.
    statements: std::sync::OnceLock<Vec<Site>>,
}

impl Provenance {
    /// The statement that created or last altered the object; for an object no statement
    /// defines plainly (made in a `DO` block, by `EXECUTE`, or by a function a migration
    /// calls), the last statement that names it.
    pub fn site(&self, key: &ObjectKey) -> Option<Site> {
        self.objects.get(key).copied().or_else(|| self.mention(key))
    }

    /// The last statement, in migration order, whose text names the object: `schema.name`
    /// first, then the bare name, as whole words, ignoring case and quotes.
    pub(crate) fn mention(&self, key: &ObjectKey) -> Option<Site> {
        let statements = self.statements.get_or_init(|| {
            self.sources
                .files
                .iter()
                .enumerate()
                .flat_map(|(file, f)| {
                    crate::sql::split(&f.text)
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |s| Site {
                            file,
                            start: s.token_start,
                            end: s.start + s.text.len(),
                        })
                })
                .collect()
        });
        let name = key.name.to_ascii_lowercase();
        let qualified = format!("{}.{name}", key.schema.to_ascii_lowercase());
        let names_it = |site: &Site, needle: &str| {
            self.sources
                .text(*site)
                .is_some_and(|text| names_word(&text.to_ascii_lowercase().replace('"', ""), needle))
        };
        let last_naming = |needle: &str| {
            statements
                .iter()
                .rev()
                .find(|s| names_it(s, needle))
                .copied()
        };
        match key.kind {
            ObjectKind::Policy | ObjectKind::Extension => last_naming(&name),
            ObjectKind::Relation | ObjectKind::Function => {
                last_naming(&qualified).or_else(|| last_naming(&name))
            }
        }
    }

    pub fn location(&self, key: &ObjectKey) -> Option<Location> {
        self.site(key).and_then(|s| self.sources.location(s))
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// `needle` occurs in `text` with no identifier character on either side.
fn names_word(text: &str, needle: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(needle).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(ident)
            && !text[at + needle.len()..].chars().next().is_some_and(ident)
    })
}

/// Analyse `files` (in migration order) and record where each object was last defined.
pub fn provenance(files: &[SourceFile]) -> Provenance {
    from_analysis(super::analyze(files.to_vec(), &super::Config::default()))
}

pub fn from_analysis(analysis: super::Analysis) -> Provenance {
    let model = &analysis.model;
    let mut objects = HashMap::new();
    for r in model.relations.values() {
        if let Some(site) = r.last_altered.or(r.created) {
            objects.insert(ObjectKey::relation(&r.name), site);
        }
    }
    for f in &model.functions {
        if let Some(site) = f.site {
            objects.insert(ObjectKey::function(&f.name), site);
        }
    }
    for p in &model.policies {
        if let Some(site) = p.site {
            objects.insert(ObjectKey::policy(&p.table, &p.name), site);
        }
    }
    for e in &model.extensions {
        if let Some(site) = e.site {
            objects.insert(ObjectKey::extension(&e.name), site);
        }
    }
    Provenance {
        sources: analysis.sources,
        model: analysis.model,
        suppressions: analysis.suppressions,
        objects,
        statements: std::sync::OnceLock::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_map_to_the_statement_that_last_touched_them() {
        let files = [
            SourceFile::new("001.sql", "create table public.t (id int);\ncreate function f() returns int language sql as $$ select 1 $$;"),
            SourceFile::new("002.sql", "\nalter table \"t\" enable row level security;\ncreate policy p on t using (true);\ncreate extension pgcrypto;"),
        ];
        let p = provenance(&files);
        let t = QualifiedName::new("public", "t");
        let loc = p.location(&ObjectKey::relation(&t)).unwrap();
        assert_eq!(
            (loc.file.as_str(), loc.line),
            ("002.sql", 3),
            "the policy is the last statement altering t"
        );
        let loc = p
            .location(&ObjectKey::function(&QualifiedName::new("public", "f")))
            .unwrap();
        assert_eq!((loc.file.as_str(), loc.line, loc.column), ("001.sql", 2, 1));
        assert_eq!(p.location(&ObjectKey::policy(&t, "p")).unwrap().line, 3);
        assert_eq!(
            p.location(&ObjectKey::extension("pgcrypto")).unwrap().line,
            4
        );
    }

    #[test]
    fn an_object_made_by_dynamic_sql_points_at_the_statement_naming_it() {
        let files = [
            SourceFile::new("001.sql", "create table public.notes_archive (id int);\n"),
            SourceFile::new(
                "002.sql",
                "select 1;\ndo $$ begin\n  execute format('create table %I.%I (id int)', 'public', 'notes');\n  execute 'create policy \"read all\" on public.notes using (true)';\nend $$;\n",
            ),
        ];
        let p = provenance(&files);
        let notes = QualifiedName::new("public", "notes");
        let loc = p.location(&ObjectKey::relation(&notes)).unwrap();
        assert_eq!(
            (loc.file.as_str(), loc.line),
            ("002.sql", 2),
            "the DO block"
        );
        let loc = p.location(&ObjectKey::policy(&notes, "read all")).unwrap();
        assert_eq!((loc.file.as_str(), loc.line), ("002.sql", 2));
        let archive = QualifiedName::new("public", "notes_archive");
        assert_eq!(
            p.location(&ObjectKey::relation(&archive)).unwrap().file,
            "001.sql"
        );
        assert!(p
            .site(&ObjectKey::relation(&QualifiedName::new(
                "public", "nowhere"
            )))
            .is_none());
    }
}
