//! Declared access: identities, specs and fixtures. Parse, validate, locate errors.
//!
//! The file formats are documented in docs/specs.md.

pub mod error;
pub mod fixtures;
pub mod function_reach;
pub mod function_snapshot;
pub mod function_specs;
pub mod identities;
pub mod placeholders;
pub mod row_model;
pub mod rules;
pub mod schema_check;
pub mod snapshot;
pub mod source;
pub mod specs;
pub mod tenancy;

pub use error::{Location, SpecError, SpecErrors};
pub use fixtures::{load_fixtures, validate_fixtures, FixtureRow};
pub use identities::{default_identities, load_identities, Identity};
pub use row_model::{OwnerSpec, TenantSpec};
pub use specs::{load_specs, Expectation, Specs};
pub use tenancy::TenancySpec;
