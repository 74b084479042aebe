//! A TOML file held with its text, so that every key and value can be located.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_edit::{Item, Key, TableLike, Value};

use super::error::{did_you_mean, Location, SpecError};

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, SpecError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SpecError::file(path, format!("cannot read {}: {e}", path.display())))?;
        Ok(SourceFile {
            path: path.to_path_buf(),
            text,
        })
    }

    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: text.into(),
        }
    }

    /// Parse, turning a syntax error into a located [`SpecError`].
    pub fn parse(&self) -> Result<toml_edit::Document<&str>, SpecError> {
        toml_edit::Document::parse(self.text.as_str()).map_err(|e| {
            let message = e.message().trim().to_string();
            let span = e.span().unwrap_or(0..0);
            let (title, label) = match message.split_once('\n') {
                Some((first, rest)) => (first.to_string(), rest.trim().to_string()),
                None => (message.clone(), String::new()),
            };
            let word: String = self.text[span.start.min(self.text.len())..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            let bare = !word.is_empty()
                && !word.starts_with(|c: char| c.is_ascii_digit())
                && !matches!(word.as_str(), "true" | "false" | "inf" | "nan");
            if bare
                && self.text[..span.start.min(self.text.len())]
                    .trim_end()
                    .ends_with('=')
            {
                return SpecError::at(
                    &self.path,
                    &self.text,
                    span.start..span.start + word.len(),
                    format!("invalid TOML: `{word}` is not a value"),
                    "a bare word",
                )
                .with_help(format!("strings need quotes: write \"{word}\""));
            }
            SpecError::at(
                &self.path,
                &self.text,
                span,
                format!("invalid TOML: {title}"),
                label,
            )
        })
    }

    pub fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> SpecError {
        SpecError::at(
            &self.path,
            &self.text,
            span.unwrap_or(0..0),
            message,
            String::new(),
        )
    }

    pub fn error_labelled(
        &self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> SpecError {
        SpecError::at(&self.path, &self.text, span.unwrap_or(0..0), message, label)
    }

    /// `what must be a table, found <kind>`, pointing at `item`.
    pub fn not_a_table(&self, what: &str, key: &Key, item: &Item) -> SpecError {
        self.error_labelled(
            item_span(key, item),
            format!("{what} must be a table, found {}", kind(item)),
            "expected a table",
        )
    }

    pub fn location(&self, span: Option<Range<usize>>) -> Location {
        let start = span.map_or(0, |s| s.start).min(self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        Location {
            file: self.path.clone(),
            line: self.text[..line_start].matches('\n').count() + 1,
            column: self.text[line_start..start].chars().count() + 1,
        }
    }

    /// Error for a key that is not one of `allowed`, with a did-you-mean.
    pub fn unknown_key(&self, key: &Key, what: &str, allowed: &[&str]) -> SpecError {
        self.error_labelled(
            key.span(),
            format!("unknown {what} `{}`", key.get()),
            format!("not a known {what}"),
        )
        .with_help(
            did_you_mean(key.get(), allowed.iter().copied())
                .unwrap_or_else(|| format!("expected one of: {}", allowed.join(", "))),
        )
    }
}

/// A name for the kind of a TOML item, for "expected X, found Y" messages.
pub fn kind(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(v) => value_kind(v),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
    }
}

pub fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a datetime",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "an inline table",
    }
}

/// The best span for an item: its own, or the key that introduced it (implicit tables).
pub fn item_span(key: &Key, item: &Item) -> Option<Range<usize>> {
    match item {
        Item::Table(t) if t.is_implicit() || t.span().is_none() => key.span(),
        Item::Value(v) => v.span().or_else(|| key.span()),
        _ => item.span().or_else(|| key.span()),
    }
}

/// Entries of a table or inline table with their keys.
pub fn entries(table: &dyn TableLike) -> Vec<(&Key, &Item)> {
    table
        .iter()
        .filter_map(|(name, _)| table.get_key_value(name))
        .collect()
}

pub fn toml_to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::String(s) => serde_json::Value::String(s.value().clone()),
        Value::Integer(i) => serde_json::Value::from(*i.value()),
        Value::Float(f) => serde_json::Number::from_f64(*f.value())
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Boolean(b) => serde_json::Value::Bool(*b.value()),
        Value::Datetime(d) => serde_json::Value::String(d.value().to_string()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        Value::InlineTable(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, v)| (k.to_string(), toml_to_json(v)))
                .collect(),
        ),
    }
}

pub fn item_to_json(item: &Item) -> Option<serde_json::Value> {
    match item {
        Item::Value(v) => Some(toml_to_json(v)),
        Item::Table(t) => Some(serde_json::Value::Object(
            t.iter()
                .filter_map(|(k, v)| item_to_json(v).map(|j| (k.to_string(), j)))
                .collect(),
        )),
        Item::ArrayOfTables(a) => Some(serde_json::Value::Array(
            a.iter()
                .map(|t| item_to_json(&Item::Table(t.clone())).unwrap_or_default())
                .collect(),
        )),
        Item::None => None,
    }
}
