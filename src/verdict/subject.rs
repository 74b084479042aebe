//! What a cell is about (a table, a view or a function) and what the identity does to it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::matrix::{Command, FunctionRef, TableRef};

/// What a cell is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Subject {
    /// A table, view, materialized view or foreign table (its kind is in the catalog).
    Relation(TableRef),
    Function {
        function: FunctionRef,
        /// Runs with its owner's rights (and so past RLS) whoever calls it.
        security_definer: bool,
    },
}

impl Subject {
    pub fn function(function: FunctionRef, security_definer: bool) -> Subject {
        Subject::Function {
            function,
            security_definer,
        }
    }

    pub fn relation(&self) -> Option<&TableRef> {
        match self {
            Subject::Relation(table) => Some(table),
            Subject::Function { .. } => None,
        }
    }

    pub fn as_function(&self) -> Option<&FunctionRef> {
        match self {
            Subject::Function { function, .. } => Some(function),
            Subject::Relation(_) => None,
        }
    }

    pub fn is_function(&self) -> bool {
        matches!(self, Subject::Function { .. })
    }

    /// `public.x` is shown as `x`, `public.f(uuid)` as `f(uuid)`; other schemas keep their
    /// prefix.
    pub fn display_name(&self) -> String {
        match self {
            Subject::Relation(table) => table.display_name(),
            Subject::Function { function, .. } => function.display_name(),
        }
    }
}

/// `schema.name` or `schema.name(argument types)`.
impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Relation(table) => table.fmt(f),
            Subject::Function { function, .. } => function.fmt(f),
        }
    }
}

impl From<TableRef> for Subject {
    fn from(table: TableRef) -> Subject {
        Subject::Relation(table)
    }
}

/// What the identity does to the subject: a command on a relation, or calling a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Select,
    Insert,
    Update,
    Delete,
    /// May the identity call the function (EXECUTE on it, USAGE on its schema)?
    Execute,
    /// What the identity's calls of the function read and write beyond what the tables let
    /// it reach.
    Call,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Select => "select",
            Action::Insert => "insert",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Execute => "execute",
            Action::Call => "call",
        }
    }

    /// The SQL command of a relation cell.
    pub fn command(self) -> Option<Command> {
        match self {
            Action::Select => Some(Command::Select),
            Action::Insert => Some(Command::Insert),
            Action::Update => Some(Command::Update),
            Action::Delete => Some(Command::Delete),
            Action::Execute | Action::Call => None,
        }
    }
}

impl From<Command> for Action {
    fn from(command: Command) -> Action {
        match command {
            Command::Select => Action::Select,
            Command::Insert => Action::Insert,
            Command::Update => Action::Update,
            Command::Delete => Action::Delete,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
