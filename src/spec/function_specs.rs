//! Declared EXECUTE access to functions: `[functions]` (who may call each function) and
//! `[function_defaults]` (who may call a function no line names). See docs/specs.md.

use std::collections::BTreeMap;
use std::ops::Range;

use toml_edit::{Item, Key, Value};

use super::error::{closest, did_you_mean, Location, SpecErrors};
use super::identities::Identity;
use super::source::{entries, item_span, kind, value_kind, SourceFile};
use super::specs::{known_identities_help, EVERYONE, ROLE_GROUPS};
use crate::matrix::FunctionRef;
use crate::probe::functions::FunctionAccess;

/// The words of an EXECUTE cell, in specs and reports.
pub const ALLOW: &str = "allow";
pub const DENY: &str = "deny";
/// A whole function's value; `allow` and `deny` are accepted as synonyms.
const FUNCTION_WORDS: [&str; 4] = ["all", "none", ALLOW, DENY];

/// A `[functions]` key: `name`, `schema.name`, `name(arg types)` or `schema.name(arg types)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FunctionKey {
    pub schema: String,
    pub name: String,
    /// `None`: every overload. Normalized: `uuid, text`.
    pub args: Option<String>,
}

impl FunctionKey {
    pub fn parse(text: &str) -> Option<FunctionKey> {
        let text = text.trim();
        let (head, args) = match text.split_once('(') {
            Some((head, rest)) => (head, Some(rest.strip_suffix(')')?)),
            None => (text, None),
        };
        let (schema, name) = match head.trim().split_once('.') {
            Some((schema, name)) => (schema.trim(), name.trim()),
            None => ("public", head.trim()),
        };
        if name.is_empty() || schema.is_empty() {
            return None;
        }
        Some(FunctionKey {
            schema: schema.to_string(),
            name: name.to_string(),
            args: args.map(normalize_args),
        })
    }

    /// The key naming exactly this overload, or (`overload = false`) every overload.
    pub fn of(function: &FunctionRef, overload: bool) -> FunctionKey {
        FunctionKey {
            schema: function.schema.clone(),
            name: function.name.clone(),
            args: overload.then(|| normalize_args(&function.args)),
        }
    }

    /// Does this key name `f`? Arguments match by type, or by name and type.
    pub fn matches(&self, f: &FunctionAccess) -> bool {
        self.schema == f.function.schema
            && self.name == f.function.name
            && self.args.as_ref().is_none_or(|a| {
                *a == normalize_args(&f.function.args)
                    || Some(a.as_str())
                        == f.signature
                            .strip_prefix(&f.function.name)
                            .and_then(|s| s.strip_prefix('('))
                            .and_then(|s| s.strip_suffix(')'))
                            .map(normalize_args)
                            .as_deref()
            })
    }

    /// As written in a spec: `schema.` only outside `public`.
    pub fn text(&self) -> String {
        let mut text = if self.schema == "public" {
            self.name.clone()
        } else {
            format!("{}.{}", self.schema, self.name)
        };
        if let Some(args) = &self.args {
            text.push_str(&format!("({args})"));
        }
        text
    }
}

fn normalize_args(args: &str) -> String {
    args.split(',')
        .map(|a| {
            a.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone)]
struct Span {
    file: usize,
    range: Range<usize>,
}

/// `who = allow|deny`, wherever it came from (a list, a word, a table entry).
#[derive(Debug, Clone)]
struct Grant {
    who: String,
    allow: bool,
    span: Span,
    /// Written by the user (a list member, a table key); `"*"` implied by a list is not.
    named: bool,
}

#[derive(Debug, Clone)]
struct Declared {
    key_span: Span,
    location: Location,
    grants: Vec<Grant>,
    /// `reads = ...` / `writes = ...`: what its calls may reach past the tables.
    reach: super::function_reach::DeclaredReach,
}

/// The `[functions]` and `[function_defaults]` of every spec file.
#[derive(Debug, Clone, Default)]
pub struct FunctionSpecs {
    defaults: Vec<Grant>,
    /// Where each `[function_defaults]` line is, by who it names.
    default_locations: BTreeMap<String, Location>,
    functions: BTreeMap<FunctionKey, Declared>,
}

/// What a spec says about one function x identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionExpectation {
    pub allow: bool,
    /// The key that decided: a `[functions]` key, or `None` for `[function_defaults]`.
    pub key: Option<FunctionKey>,
    /// The line that decided: the `[functions]` key, or the `[function_defaults]` line.
    pub source: Location,
}

impl FunctionSpecs {
    pub fn is_empty(&self) -> bool {
        self.defaults.is_empty() && self.functions.is_empty()
    }

    pub fn parse_functions(
        &mut self,
        index: usize,
        file: &SourceFile,
        key: &Key,
        item: &Item,
        errors: &mut SpecErrors,
    ) {
        let Some(table) = item.as_table_like() else {
            errors.push(
                file.not_a_table("`functions`", key, item)
                .with_help("write `[functions]` and one line per function, e.g. `promote_user = [\"service\"]`"),
            );
            return;
        };
        for (fkey, fitem) in entries(table) {
            let span = Span {
                file: index,
                range: fkey.span().unwrap_or(0..0),
            };
            let Some(parsed) = FunctionKey::parse(fkey.get()) else {
                errors.push(
                    file.error_labelled(
                        fkey.span(),
                        format!("invalid function `{}`", fkey.get()),
                        "not a function name",
                    )
                    .with_help("write `name`, `\"schema.name\"` or `\"name(argument types)\"`"),
                );
                continue;
            };
            if let Some(first) = self.functions.get(&parsed) {
                errors.push(
                    file.error_labelled(
                        fkey.span(),
                        format!("function `{}` is declared twice", parsed.text()),
                        "declared again",
                    )
                    .with_help(format!("first declared at {}", first.location)),
                );
                continue;
            }
            let (grants, reach) = match super::function_reach::split(file, fitem, errors) {
                Some((execute, reach)) => (
                    match execute {
                        Some(item) => parse_value(index, file, fkey, item, errors),
                        None => Some(Vec::new()),
                    },
                    reach,
                ),
                None => (
                    parse_value(index, file, fkey, fitem, errors),
                    Default::default(),
                ),
            };
            if let Some(grants) = grants {
                self.functions.insert(
                    parsed,
                    Declared {
                        location: file.location(Some(span.range.clone())),
                        key_span: span,
                        grants,
                        reach,
                    },
                );
            }
        }
    }

    pub fn parse_defaults(
        &mut self,
        index: usize,
        file: &SourceFile,
        key: &Key,
        item: &Item,
        errors: &mut SpecErrors,
    ) {
        let Some(table) = item.as_table_like() else {
            errors.push(
                file.not_a_table("`function_defaults`", key, item)
                    .with_help("write `[function_defaults]` and lines like `anon = \"deny\"`"),
            );
            return;
        };
        for grant in parse_grants(index, file, table, errors) {
            match self.defaults.iter().find(|d| d.who == grant.who) {
                Some(first) if first.allow != grant.allow => errors.push(
                    file.error_labelled(
                        Some(grant.span.range.clone()),
                        format!("conflicting function defaults for `{}`", grant.who),
                        "differs from an earlier [function_defaults]",
                    )
                    .with_help("[function_defaults] apply to every function of every file"),
                ),
                Some(_) => {}
                None => {
                    self.default_locations.insert(
                        grant.who.clone(),
                        file.location(Some(grant.span.range.clone())),
                    );
                    self.defaults.push(grant);
                }
            }
        }
    }

    /// For `identity` on `function`: the overload's key, then the name's key, then
    /// `[function_defaults]`; in each, the identity, its role, then `"*"`.
    pub fn expectation(
        &self,
        function: &FunctionAccess,
        identity: &Identity,
    ) -> Option<FunctionExpectation> {
        fn pick<'g>(grants: &'g [Grant], identity: &Identity) -> Option<&'g Grant> {
            [identity.name.as_str(), identity.role.as_str(), EVERYONE]
                .into_iter()
                .find_map(|who| grants.iter().find(|g| g.who == who))
        }
        let mut keys: Vec<(&FunctionKey, &Declared)> = self
            .functions
            .iter()
            .filter(|(k, _)| k.matches(function))
            .collect();
        keys.sort_by_key(|(k, _)| k.args.is_none());
        for (key, declared) in keys {
            if let Some(grant) = pick(&declared.grants, identity) {
                return Some(FunctionExpectation {
                    allow: grant.allow,
                    key: Some(key.clone()),
                    source: declared.location.clone(),
                });
            }
        }
        let grant = pick(&self.defaults, identity)?;
        Some(FunctionExpectation {
            allow: grant.allow,
            key: None,
            source: self.default_locations.get(&grant.who)?.clone(),
        })
    }

    /// What the calls of `function` may read and write past the tables, for `identity`: the
    /// overload's key, then the name's key, when it says `reads` or `writes`.
    pub fn call_expectation(
        &self,
        function: &FunctionAccess,
    ) -> Option<super::function_reach::CallExpectation> {
        let mut keys: Vec<(&FunctionKey, &Declared)> = self
            .functions
            .iter()
            .filter(|(k, _)| k.matches(function))
            .collect();
        keys.sort_by_key(|(k, _)| k.args.is_none());
        keys.into_iter()
            .find_map(|(_, d)| d.reach.expectation(d.location.clone()))
    }

    /// The keys a spec declares, with the file each is in.
    pub fn keys(&self) -> impl Iterator<Item = (&FunctionKey, usize)> {
        self.functions.iter().map(|(k, d)| (k, d.key_span.file))
    }

    /// Unknown functions (or ones PostgREST cannot call) and unknown identities or roles.
    pub fn validate(
        &self,
        files: &[SourceFile],
        functions: &[FunctionAccess],
        identities: &[Identity],
        errors: &mut SpecErrors,
    ) {
        let error = |span: &Span, message: String, label: &str| {
            files[span.file].error_labelled(Some(span.range.clone()), message, label)
        };
        let mut who: Vec<&str> = identities.iter().map(|i| i.name.as_str()).collect();
        who.extend(identities.iter().map(|i| i.role.as_str()));
        who.extend(ROLE_GROUPS);
        who.push(EVERYONE);
        who.sort_unstable();
        who.dedup();
        let check_grants = |grants: &[Grant], errors: &mut SpecErrors| {
            for grant in grants.iter().filter(|g| g.named) {
                if !who.contains(&grant.who.as_str()) {
                    let help = did_you_mean(&grant.who, who.iter().copied())
                        .unwrap_or_else(|| known_identities_help(identities));
                    errors.push(
                        error(
                            &grant.span,
                            format!("unknown identity or role `{}`", grant.who),
                            "no identity or role has this name",
                        )
                        .with_help(help),
                    );
                }
            }
        };
        check_grants(&self.defaults, errors);
        let callable: Vec<&FunctionAccess> = functions.iter().filter(|f| f.callable).collect();
        let mut names: Vec<String> = callable
            .iter()
            .flat_map(|f| {
                [
                    FunctionKey::of(&f.function, false).text(),
                    FunctionKey::of(&f.function, true).text(),
                ]
            })
            .collect();
        names.sort();
        names.dedup();
        for f in &callable {
            let same: Vec<(&FunctionKey, &Declared)> = self
                .functions
                .iter()
                .filter(|(k, _)| k.args.is_some() && k.matches(f))
                .collect();
            for (key, declared) in same.iter().skip(1) {
                errors.push(
                    error(
                        &declared.key_span,
                        format!(
                            "`{}` names the same function as `{}`",
                            key.text(),
                            same[0].0.text()
                        ),
                        "declared again",
                    )
                    .with_help(format!("first declared at {}", same[0].1.location)),
                );
            }
        }
        for (key, declared) in &self.functions {
            check_grants(&declared.grants, errors);
            if callable.iter().any(|f| key.matches(f)) {
                continue;
            }
            let text = key.text();
            if let Some(f) = functions.iter().find(|f| key.matches(f)) {
                let what = if f.returns_trigger {
                    "a trigger function"
                } else {
                    "not a plain function (a procedure, or it returns event_trigger)"
                };
                errors.push(
                    error(
                        &declared.key_span,
                        format!("`{text}` is {what}: no identity can call it through the API"),
                        "not callable",
                    )
                    .with_help(
                        "remove this line; only functions PostgREST can call get EXECUTE cells",
                    ),
                );
                continue;
            }
            let help = closest(&text, names.iter().map(String::as_str))
                .or_else(|| closest(&key.name, callable.iter().map(|f| f.function.name.as_str())))
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| {
                    if names.is_empty() {
                        "the exposed schemas have no function the API can call".to_string()
                    } else {
                        format!("exposed functions: {}", names.join(", "))
                    }
                });
            errors.push(
                error(
                    &declared.key_span,
                    format!("unknown function `{text}`"),
                    "no such function in the exposed schemas",
                )
                .with_help(help),
            );
        }
    }
}

/// `"all"`, `"none"`, a list of identities and role groups, or `{ who = "allow"|"deny" }`.
fn parse_value(
    index: usize,
    file: &SourceFile,
    key: &Key,
    item: &Item,
    errors: &mut SpecErrors,
) -> Option<Vec<Grant>> {
    let span_of = |range: Option<Range<usize>>| Span {
        file: index,
        range: range.unwrap_or(0..0),
    };
    match item {
        Item::Value(Value::String(s)) => {
            let word = s.value().as_str();
            let allow = match word {
                "all" | ALLOW => true,
                "none" | DENY => false,
                _ => {
                    let help = match word {
                        "any" => "did you mean `all`?".to_string(),
                        _ => did_you_mean(word, FUNCTION_WORDS).unwrap_or_else(|| {
                            format!(
                                "a function takes \"all\", \"none\" or a list of who may call it: `{} = [\"{word}\"]`",
                                key.get()
                            )
                        }),
                    };
                    errors.push(
                        file.error_labelled(
                            s.span(),
                            format!("unknown value \"{word}\" for a function"),
                            "not \"all\" or \"none\"",
                        )
                        .with_help(help),
                    );
                    return None;
                }
            };
            Some(vec![Grant {
                who: EVERYONE.to_string(),
                allow,
                span: span_of(s.span()),
                named: false,
            }])
        }
        Item::Value(Value::Array(array)) => {
            let mut grants = Vec::new();
            for value in array.iter() {
                match value.as_str() {
                    Some(who) => grants.push(Grant {
                        who: who.to_string(),
                        allow: true,
                        span: span_of(value.span()),
                        named: true,
                    }),
                    None => {
                        errors.push(file.error_labelled(
                            value.span(),
                            format!(
                                "who may call a function is an identity or role name, found {}",
                                value_kind(value)
                            ),
                            "expected a string",
                        ));
                        return None;
                    }
                }
            }
            grants.push(Grant {
                who: EVERYONE.to_string(),
                allow: false,
                span: span_of(array.span()),
                named: false,
            });
            Some(grants)
        }
        _ => match item.as_table_like() {
            Some(table) => Some(parse_grants(index, file, table, errors)),
            None => {
                errors.push(
                    file.error_labelled(
                        item_span(key, item),
                        format!(
                            "who may call `{}` must be \"all\", \"none\", a list or a table, found {}",
                            key.get(),
                            kind(item)
                        ),
                        "expected a string, an array or a table",
                    )
                    .with_help(format!("write `{} = [\"service\"]`", key.get())),
                );
                None
            }
        },
    }
}

/// `who = "allow"` / `who = "deny"` lines.
fn parse_grants(
    index: usize,
    file: &SourceFile,
    table: &dyn toml_edit::TableLike,
    errors: &mut SpecErrors,
) -> Vec<Grant> {
    let mut grants = Vec::new();
    for (key, item) in entries(table) {
        let span = item_span(key, item);
        let allow = match item.as_str() {
            Some(ALLOW | "all") => true,
            Some(DENY | "none") => false,
            Some(word) => {
                let help = match word {
                    "any" | "own" => "did you mean `allow`?".to_string(),
                    _ => did_you_mean(word, [ALLOW, DENY, "all", "none"])
                        .unwrap_or_else(|| "write \"allow\" or \"deny\"".to_string()),
                };
                errors.push(
                    file.error_labelled(
                        span,
                        format!("unknown value \"{word}\" for `{}`", key.get()),
                        "not \"allow\" or \"deny\"",
                    )
                    .with_help(help),
                );
                continue;
            }
            None => {
                errors.push(
                    file.error_labelled(
                        span,
                        format!(
                            "`{}` must be \"allow\" or \"deny\", found {}",
                            key.get(),
                            kind(item)
                        ),
                        "expected a string",
                    )
                    .with_help(format!(
                        "write `{} = \"allow\"` or `{} = \"deny\"`",
                        key.get(),
                        key.get()
                    )),
                );
                continue;
            }
        };
        grants.push(Grant {
            who: key.get().to_string(),
            allow,
            span: Span {
                file: index,
                range: key.span().unwrap_or(0..0),
            },
            named: true,
        });
    }
    grants
}

#[cfg(test)]
#[path = "function_specs_tests.rs"]
mod tests;
