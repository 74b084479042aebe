//! What a function's calls may reach past the tables' RLS: a `[functions]` line written as a
//! table with `execute`, `reads` and `writes`, e.g.
//! `stats = { execute = ["authenticated"], reads = "tenant" }`. `reads` and `writes` take the
//! table scope words (`own`, `tenant`, `tenant:admin`, `all`, ...), or `"bypass"` for a
//! deliberate bypass of any rows. See docs/specs.md, "What a call may reach".

use toml_edit::Item;

use super::error::{did_you_mean, Location, SpecErrors};
use super::source::{entries, kind, SourceFile};
use crate::verdict::Allowance;

/// The keys of a function line that declares its reach.
const KEYS: [&str; 3] = ["execute", "reads", "writes"];

/// `reads` / `writes` as declared (`None`: not said).
#[derive(Debug, Clone, Default)]
pub struct DeclaredReach {
    reads: Option<Allowance>,
    writes: Option<Allowance>,
}

/// What a spec line allows a function's calls to reach past the tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallExpectation {
    pub reads: Allowance,
    pub writes: Allowance,
    pub source: Location,
}

impl DeclaredReach {
    /// Only a line that says `reads` or `writes` covers the call cells: what it leaves out
    /// stays within the tables.
    pub fn expectation(&self, source: Location) -> Option<CallExpectation> {
        if self.reads.is_none() && self.writes.is_none() {
            return None;
        }
        Some(CallExpectation {
            reads: self.reads.clone().unwrap_or(Allowance::Within),
            writes: self.writes.clone().unwrap_or(Allowance::Within),
            source,
        })
    }
}

/// A line in the reach form: its `execute` item (who may call it, in any of the usual forms)
/// and its reach. `None` when the line is not in that form (a list, a word, or a table of
/// identities).
pub fn split<'i>(
    file: &SourceFile,
    item: &'i Item,
    errors: &mut SpecErrors,
) -> Option<(Option<&'i Item>, DeclaredReach)> {
    let table = item.as_table_like()?;
    if !KEYS.iter().any(|k| table.contains_key(k)) {
        return None;
    }
    let mut reach = DeclaredReach::default();
    let mut execute = None;
    for (key, value) in entries(table) {
        let slot = match key.get() {
            "execute" => {
                execute = Some(value);
                continue;
            }
            "reads" => &mut reach.reads,
            "writes" => &mut reach.writes,
            _ => {
                errors.push(file.unknown_key(key, "function key", &KEYS));
                continue;
            }
        };
        let Some(words) = value.as_str() else {
            errors.push(
                file.error_labelled(
                    value.span().or_else(|| key.span()),
                    format!(
                        "`{}` must be a scope word or \"bypass\", found {}",
                        key.get(),
                        kind(value)
                    ),
                    "expected a string",
                )
                .with_help(format!("write `{} = \"tenant\"`", key.get())),
            );
            continue;
        };
        match Allowance::read(words) {
            Some(allowance) => *slot = Some(allowance),
            None => errors.push(
                file.error_labelled(
                    value.span(),
                    format!("unknown value \"{words}\" for `{}`", key.get()),
                    "not a scope word or \"bypass\"",
                )
                .with_help(
                    did_you_mean(words, ["own", "tenant", "all", "none", "bypass", "within"])
                        .unwrap_or_else(|| {
                            "write a table scope (`own`, `tenant`, `tenant:ROLE`, `all`), \
                             \"within\" or \"bypass\""
                                .to_string()
                        }),
                ),
            ),
        }
    }
    Some((execute, reach))
}
