//! What the probes saw: the input of a snapshot.

use crate::matrix::{Observation, TableRows};
use crate::probe::functions::FunctionAccess;
use crate::spec::identities::Identity;

/// What the probes saw: the input of a snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Reality<'a> {
    pub observations: &'a [Observation],
    pub rows: &'a [TableRows],
    pub identities: &'a [Identity],
    /// Every function of the exposed schemas and who may execute it.
    pub functions: &'a [FunctionAccess],
}
