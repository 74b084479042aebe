//! A table's `owner = ...` and `tenant = ...` lines: how its rows belong to users and tenants
//! when the spec overrides inference.

use toml_edit::{Item, Key, Value};

use super::error::SpecErrors;
use super::rules::{loc, Loc};
use super::source::{item_span, kind, SourceFile};

/// How the owner of a table's rows is found, when the spec overrides inference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerSpec {
    /// `owner = "owner_id"`: this column holds the owner's `auth.uid()`.
    Column(String),
    /// `owner = ["host_id", "guest_id"]`: each of these columns holds a party's `auth.uid()`,
    /// and each party owns the row.
    Parties(Vec<String>),
    /// `owner = "via conversation_id"`: a row belongs to the owner of the row this foreign key
    /// column references.
    Via(String),
    /// `owner = false`: rows of this table belong to nobody.
    Nobody,
}

/// Where a table's rows find their tenant, when the spec overrides inference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantSpec {
    /// `tenant = "org_id"`: this column references the tenant table.
    Column(String),
    /// `tenant = "via project_id"`: the tenant of the row this foreign key references.
    Via(String),
    /// `tenant = false`: not tenant-scoped.
    Nobody,
}

/// `owner = ...` under a table: a column, `via` a foreign key column, the party columns, or
/// `false`.
pub(super) fn parse_owner(
    index: usize,
    file: &SourceFile,
    key: &Key,
    item: &Item,
    errors: &mut SpecErrors,
) -> Option<(OwnerSpec, Loc)> {
    const HELP: &str = "write `owner = \"owner_id\"`, `owner = [\"host_id\", \"guest_id\"]`, `owner = \"via conversation_id\"` or `owner = false`";
    let (reference, l) = parse_column_reference(index, file, key, item, true, HELP, errors)?;
    Some((
        match reference {
            ColumnReference::Nobody => OwnerSpec::Nobody,
            ColumnReference::Column(c) => OwnerSpec::Column(c),
            ColumnReference::Via(c) => OwnerSpec::Via(c),
            ColumnReference::Columns(cols) => OwnerSpec::Parties(cols),
        },
        l,
    ))
}

/// `tenant = ...` under a table: the column referencing the tenant table, `via` a foreign key
/// column to a tenant-scoped parent, or `false`.
pub(super) fn parse_tenant(
    index: usize,
    file: &SourceFile,
    key: &Key,
    item: &Item,
    errors: &mut SpecErrors,
) -> Option<(TenantSpec, Loc)> {
    const HELP: &str =
        "write `tenant = \"org_id\"`, `tenant = \"via project_id\"` or `tenant = false`";
    let (reference, l) = parse_column_reference(index, file, key, item, false, HELP, errors)?;
    Some((
        match reference {
            ColumnReference::Nobody => TenantSpec::Nobody,
            ColumnReference::Column(c) => TenantSpec::Column(c),
            ColumnReference::Via(c) => TenantSpec::Via(c),
            ColumnReference::Columns(_) => unreachable!("lists are refused for `tenant`"),
        },
        l,
    ))
}

enum ColumnReference {
    Nobody,
    Column(String),
    Via(String),
    Columns(Vec<String>),
}

fn parse_column_reference(
    index: usize,
    file: &SourceFile,
    key: &Key,
    item: &Item,
    lists: bool,
    help: &str,
    errors: &mut SpecErrors,
) -> Option<(ColumnReference, Loc)> {
    let what = key.get();
    let l = loc(index, item_span(key, item));
    let column = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    match item {
        Item::Value(Value::Boolean(b)) if !*b.value() => Some((ColumnReference::Nobody, l)),
        Item::Value(Value::String(s)) => {
            let s = s.value().trim();
            let via = s
                .strip_prefix("via")
                .filter(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
                .map(str::trim);
            let reference = match via {
                Some(fk) if column(fk) => ColumnReference::Via(fk.to_string()),
                None if column(s) => ColumnReference::Column(s.to_string()),
                _ => {
                    errors.push(
                        file.error_labelled(
                            Some(l.span()),
                            format!("invalid {what} \"{s}\""),
                            "expected a column name",
                        )
                        .with_help(help),
                    );
                    return None;
                }
            };
            Some((reference, l))
        }
        Item::Value(Value::Array(array)) if lists => {
            let columns: Option<Vec<String>> = array
                .iter()
                .map(|v| v.as_str().filter(|s| column(s)).map(str::to_string))
                .collect();
            match columns {
                Some(cols) if cols.len() >= 2 => Some((ColumnReference::Columns(cols), l)),
                Some(mut cols) if cols.len() == 1 => {
                    Some((ColumnReference::Column(cols.remove(0)), l))
                }
                _ => {
                    errors.push(
                        file.error_labelled(
                            Some(l.span()),
                            format!("`{what}` lists the party columns, as strings"),
                            "expected column names",
                        )
                        .with_help(help),
                    );
                    None
                }
            }
        }
        _ => {
            errors.push(
                file.error_labelled(
                    Some(l.span()),
                    format!("`{what}` must be a column name, found {}", kind(item)),
                    "expected a string",
                )
                .with_help(help),
            );
            None
        }
    }
}
