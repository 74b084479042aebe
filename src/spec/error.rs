//! Errors in spec, identity and fixture files, located at `file:line:column` and rendered like
//! rustc: the source line, a caret under the offending key or value, and a help line.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::{Level, Renderer, Snippet};
use serde::{Deserialize, Serialize};

/// Where something was declared: `file:line:column` (1-based, column in characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem in a spec, identity or fixture file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the whole file (it could not be read).
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
    /// The offending source line and the character range to underline in it.
    pub snippet: Option<Box<SourceLine>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub text: String,
    /// Byte range within `text`.
    pub underline: Range<usize>,
    pub label: String,
}

impl SpecError {
    /// An error about `span` (byte offsets) in `source`, the text of `file`.
    pub fn at(
        file: &Path,
        source: &str,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> SpecError {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let text = source[line_start..line_end].trim_end_matches('\r');
        let end = floor_char_boundary(source, span.end.max(start).min(source.len()))
            .min(line_start + text.len());
        let mut underline = (start - line_start)..(end - line_start);
        if underline.is_empty() {
            underline.end = (underline.start + 1).min(text.len().max(underline.start));
        }
        SpecError {
            file: file.to_path_buf(),
            line: source[..line_start].matches('\n').count() + 1,
            column: source[line_start..start].chars().count() + 1,
            message: message.into(),
            help: None,
            snippet: Some(Box::new(SourceLine {
                text: text.to_string(),
                underline,
                label: label.into(),
            })),
        }
    }

    /// An error about a whole file (it could not be read).
    pub fn file(file: &Path, message: impl Into<String>) -> SpecError {
        SpecError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
            help: None,
            snippet: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> SpecError {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> SpecError {
        self.help = help;
        self
    }

    pub fn location(&self) -> Location {
        Location {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
        }
    }

    /// The rustc-like rendering, with or without ANSI colour.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let origin = self.file.display().to_string();
        let mut message = Level::Error.title(&self.message);
        if let Some(snippet) = &self.snippet {
            let label = if snippet.label.is_empty() {
                None
            } else {
                Some(snippet.label.as_str())
            };
            let mut annotation = Level::Error.span(snippet.underline.clone());
            if let Some(label) = label {
                annotation = annotation.label(label);
            }
            message = message.snippet(
                Snippet::source(&snippet.text)
                    .line_start(self.line)
                    .origin(&origin)
                    .annotation(annotation),
            );
        }
        let help = self.help.as_deref().map(|h| Level::Help.title(h));
        if let Some(help) = help {
            message = message.footer(help);
        }
        let rendered = renderer.render(message).to_string();
        if self.snippet.is_some() {
            rendered.replacen(
                &format!("--> {origin}\n"),
                &format!("--> {}\n", self.location()),
                1,
            )
        } else {
            format!("{rendered}\n  --> {origin}")
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(color_wanted()))
    }
}

/// Every problem found in one pass, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
pub struct SpecErrors(pub Vec<SpecError>);

impl SpecErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, SpecError> {
        self.0.iter()
    }

    pub fn push(&mut self, error: SpecError) {
        self.0.push(error);
    }

    pub fn extend(&mut self, other: SpecErrors) {
        self.0.extend(other.0);
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn into_result<T>(mut self, value: T) -> Result<T, SpecErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            self.0
                .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
            self.0.dedup();
            Err(self)
        }
    }

    pub fn render(&self, color: bool) -> String {
        let mut text = self
            .0
            .iter()
            .map(|e| e.render(color))
            .collect::<Vec<_>>()
            .join("\n\n");
        if self.0.len() > 1 {
            text.push_str(&format!("\n\n{} problems", self.0.len()));
        }
        text
    }
}

impl From<SpecError> for SpecErrors {
    fn from(error: SpecError) -> Self {
        SpecErrors(vec![error])
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(color_wanted()))
    }
}

impl IntoIterator for SpecErrors {
    type Item = SpecError;
    type IntoIter = std::vec::IntoIter<SpecError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Colour only when the process-wide choice allows it and NO_COLOR is unset.
pub fn color_wanted() -> bool {
    match anstream::ColorChoice::global() {
        anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi => true,
        anstream::ColorChoice::Never => false,
        anstream::ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::IsTerminal::is_terminal(&std::io::stderr())
        }
    }
}

/// `help: did you mean `x`?` for the closest candidate, if any is close enough.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let limit = (lower.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter_map(|c| {
            let other = c.to_lowercase();
            let distance = strsim::osa_distance(&lower, &other);
            let similar = strsim::jaro_winkler(&lower, &other);
            (distance <= limit || similar >= 0.9).then_some((distance, c))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let source = "[tables.\"café\"]\nbjörn = \"owm\"\n";
        let start = source.find("\"owm\"").unwrap();
        let e = SpecError::at(Path::new("s.toml"), source, start..start + 5, "bad", "here");
        assert_eq!((e.line, e.column), (2, 9));
        assert_eq!(e.render(false).lines().nth(1).unwrap(), " --> s.toml:2:9");
        assert!(e
            .render(false)
            .contains("2 | björn = \"owm\"\n  |         ^^^^^ here"));
    }

    #[test]
    fn crlf_and_end_of_file() {
        let source = "a = 1\r\nb = \r\n";
        let start = source.find("b = ").unwrap() + 4;
        let e = SpecError::at(
            Path::new("s.toml"),
            source,
            start..start,
            "missing value",
            "",
        );
        assert_eq!((e.line, e.column), (2, 5));
        let snippet = e.snippet.as_ref().unwrap();
        assert_eq!(snippet.text, "b = ");
        let e = SpecError::at(Path::new("s.toml"), "x", 5..9, "past the end", "");
        assert_eq!((e.line, e.column), (1, 2));
    }

    #[test]
    fn suggestions_only_when_close() {
        assert_eq!(closest("owm", ["none", "own", "all"]), Some("own"));
        assert_eq!(
            closest("mesages", ["messages", "profiles"]),
            Some("messages")
        );
        assert_eq!(closest("Alcie", ["alice", "bob"]), Some("alice"));
        assert_eq!(closest("xyz", ["none", "own", "all"]), None);
        assert_eq!(closest("documents", ["profiles", "messages"]), None);
    }

    #[test]
    fn several_errors_are_counted() {
        let a = SpecError::file(Path::new("a.toml"), "cannot read a.toml");
        let b = SpecError::file(Path::new("b.toml"), "cannot read b.toml");
        let text = SpecErrors(vec![a, b]).render(false);
        assert!(
            text.starts_with("error: cannot read a.toml\n  --> a.toml"),
            "{text}"
        );
        assert!(text.ends_with("\n\n2 problems"), "{text}");
    }
}
