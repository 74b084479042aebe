//! Input files: reading them (binary and invalid UTF-8 become diagnostics) and mapping byte
//! offsets to lines and columns.

use std::path::Path;

use super::diagnostic::{Diagnostic, Location};
use super::model::Site;
use super::rules::invalid_input;

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// As shown to users (relative to the working directory when possible).
    pub path: String,
    pub text: String,
    /// The file was cut here (byte offset) because what follows is not UTF-8 text; the
    /// statement in progress at the cut is not linted.
    pub truncated_at: Option<usize>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        SourceFile {
            path: path.into(),
            text,
            truncated_at: None,
            line_starts,
        }
    }

    /// Read `path`; a file that is not UTF-8 text gives a diagnostic and an empty source.
    pub fn read(path: &Path) -> std::io::Result<(SourceFile, Option<Diagnostic>)> {
        let bytes = std::fs::read(path)?;
        let shown = path.display().to_string();
        Ok(Self::from_bytes(shown, bytes))
    }

    pub fn from_bytes(path: String, bytes: Vec<u8>) -> (SourceFile, Option<Diagnostic>) {
        if let Some(nul) = bytes.iter().position(|&b| b == 0) {
            let line_start = bytes[..nul]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let line = bytes[..nul].iter().filter(|&&b| b == b'\n').count() + 1;
            let column = String::from_utf8_lossy(&bytes[line_start..nul])
                .chars()
                .count()
                + 1;
            let (line, column) = (
                u32::try_from(line).unwrap_or(u32::MAX),
                u32::try_from(column).unwrap_or(u32::MAX),
            );
            let file = SourceFile::new(path, String::new());
            let location = Location {
                file: file.path.clone(),
                line,
                column,
                end_line: line,
                end_column: column,
                start: 0,
                end: 0,
            };
            let diag = invalid_input::diagnostic(
                location,
                format!("binary file: NUL byte at byte offset {nul}"),
                "lint only SQL text files; check the path or the file's encoding",
            );
            return (file, Some(diag));
        }
        match String::from_utf8(bytes) {
            Ok(text) => (SourceFile::new(path, text), None),
            Err(err) => {
                let offset = err.utf8_error().valid_up_to();
                let bytes = err.into_bytes();
                let prefix = String::from_utf8_lossy(&bytes[..offset]).into_owned();
                let mut file = SourceFile::new(path, prefix);
                file.truncated_at = Some(offset);
                let diag = invalid_input::diagnostic(
                    file.location(offset, offset),
                    format!("invalid UTF-8 at byte offset {offset}"),
                    "save the file as UTF-8; the statement there and everything after it were not linted",
                );
                (file, Some(diag))
            }
        }
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    pub fn location(&self, start: usize, end: usize) -> Location {
        let (line, column) = self.line_col(start);
        let (end_line, end_column) = self.line_col(end.max(start));
        Location {
            file: self.path.clone(),
            line,
            column,
            end_line,
            end_column,
            start,
            end: end.max(start),
        }
    }

    /// The text of one line (1-based), without its newline.
    pub fn line_text(&self, line: u32) -> &str {
        let i = line.saturating_sub(1) as usize;
        let Some(&start) = self.line_starts.get(i) else {
            return "";
        };
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |e| e - 1);
        self.text[start..end.max(start)].trim_end_matches('\r')
    }
}

/// The analysed files, indexed by [`Site::file`].
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

impl Sources {
    pub fn location(&self, site: Site) -> Option<Location> {
        self.files
            .get(site.file)
            .map(|f| f.location(site.start, site.end))
    }

    pub fn text(&self, site: Site) -> Option<&str> {
        self.files.get(site.file)?.text.get(site.start..site.end)
    }

    pub fn get(&self, path: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_the_byte_offset_and_position() {
        let (file, diag) =
            SourceFile::from_bytes("a.sql".into(), b"select 1;\nselect '\xff';".to_vec());
        let diag = diag.unwrap();
        assert_eq!(diag.message, "invalid UTF-8 at byte offset 18");
        let loc = diag.location.unwrap();
        assert_eq!((loc.line, loc.column), (2, 9));
        assert_eq!(file.text, "select 1;\nselect '");
    }

    #[test]
    fn binary_files_are_reported_not_linted() {
        let (file, diag) = SourceFile::from_bytes("x.sql".into(), vec![0x89, b'P', 0, 1, 2]);
        assert!(file.text.is_empty());
        assert!(diag.unwrap().message.starts_with("binary file"));
    }

    #[test]
    fn line_index_matches_the_splitter() {
        let text = "a\nbé c\n\nd";
        let file = SourceFile::new("f", text);
        for offset in 0..=text.len() {
            if text.is_char_boundary(offset) {
                assert_eq!(file.line_col(offset), crate::sql::line_col(text, offset));
            }
        }
        assert_eq!(file.line_text(2), "bé c");
    }
}
