//! Where `rlsgate test`'s findings are in the repository: what opens each cell whose access is
//! wider than declared (traced on the database while it is up), then every cell that is not a
//! pass placed at its spec line and migration statements.

use anyhow::Context;

use crate::lint::SourceFile;
use crate::matrix::{Observation, TableRef};
use crate::migrate::Database;
use crate::probe::functions::FunctionAccess;
use crate::probe::provenance::{self, CellProvenance};
use crate::probe::Prepared;
use crate::project::Project;
use crate::report::matrix::findings::CellRule;
use crate::report::matrix::places::shown;
use crate::report::matrix::{Locator, Places};
use crate::spec::{Identity, Specs};
use crate::verdict::{Cell, CellOutcome};

/// The sources (policies, a table without RLS, a view's owner) of every suspicious cell and,
/// when `failed` (the run places its findings), of every cell that fails with wider or other
/// access than declared; the others are not traced.
pub(crate) fn trace_openers(
    db: &mut Database,
    prepared: &mut Prepared,
    observations: &[Observation],
    cells: &[Cell],
    failed: bool,
) -> anyhow::Result<Vec<CellProvenance>> {
    let opened: Vec<Observation> = observations
        .iter()
        .filter(|obs| provenance::grants_anything(obs))
        .filter(|obs| {
            cells.iter().any(|cell| {
                cell.relation() == Some(&obs.table)
                    && cell.identity == obs.identity
                    && cell.command() == Some(obs.command)
                    && (cell.outcome == CellOutcome::Suspicious
                        || failed
                            && matches!(
                                CellRule::of(cell, true),
                                Some(CellRule::AccessWidened | CellRule::AccessChanged)
                            ))
            })
        })
        .cloned()
        .collect();
    if opened.is_empty() {
        return Ok(Vec::new());
    }
    let mut tables: Vec<TableRef> = opened.iter().map(|o| o.table.clone()).collect();
    tables.sort();
    tables.dedup();
    let access = provenance::relation_access(db.client(), &tables)
        .context("reading the policies and grants of the failed and suspicious cells' tables")?;
    Ok(provenance::trace(db, prepared, &opened, &access)?)
}

/// Every cell that is not a pass, at the places of the project's files that declare and open it.
pub(crate) fn places(
    project: &Project,
    specs: &Specs,
    identities: &[Identity],
    functions: &[FunctionAccess],
    openers: &[CellProvenance],
    cells: &[Cell],
) -> Places {
    if cells.iter().all(|c| c.outcome == CellOutcome::Pass) {
        return Places {
            cells: Vec::new(),
            fallback: project
                .migrations
                .last()
                .map(|m| shown(&project.root.join(&m.path))),
        };
    }
    let started = std::time::Instant::now();
    let files: Vec<SourceFile> = project
        .migrations
        .iter()
        .map(|m| SourceFile::new(shown(&project.root.join(&m.path)), m.text.clone()))
        .collect();
    let migrations = crate::lint::provenance(&files);
    let places = Locator {
        specs,
        identities,
        functions,
        migrations: &migrations,
        openers,
    }
    .places(cells);
    crate::terminal::timing("place findings", started);
    places
}
