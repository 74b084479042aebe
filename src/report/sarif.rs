//! What every SARIF 2.1.0 log rlsgate writes shares, as GitHub code scanning reads it: the log
//! and tool skeleton, repository-relative artifact URIs, regions, partial fingerprints that
//! survive unrelated edits, and `security-severity`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The `partialFingerprints` key of every result.
pub const FINGERPRINT_KEY: &str = "rlsgate/v1";

/// A log of one run of rlsgate with `rules` and `results`.
pub fn log(rules: Vec<Value>, results: Vec<Value>) -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "rlsgate",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// `security-severity` as GitHub reads it (0.0-10.0; 9.0+ critical, 7.0+ high, 4.0+ medium).
pub fn security_severity(score: f32) -> String {
    format!("{score:.1}")
}

/// A place in a file: 1-based lines and columns, the end column exclusive; column 0 for
/// whole lines (from `line` to `end_line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Region {
    /// The whole of line `line` (column 0: no columns are written).
    pub fn line(line: u32) -> Region {
        Region {
            line: line.max(1),
            column: 0,
            end_line: line.max(1),
            end_column: 0,
        }
    }
}

/// A `location` object: `path` made relative to the repository, and the region.
pub fn location(path: &str, region: &Region, base: &Path) -> Value {
    let mut json_region = json!({ "startLine": region.line.max(1) });
    if region.column >= 1 {
        json_region["startColumn"] = json!(region.column);
        let end_line = region.end_line.max(region.line.max(1));
        let end_column = if end_line == region.line.max(1) {
            region.end_column.max(region.column + 1)
        } else {
            region.end_column.max(1)
        };
        json_region["endLine"] = json!(end_line);
        json_region["endColumn"] = json!(end_column);
    } else if region.end_line > region.line.max(1) {
        json_region["endLine"] = json!(region.end_line);
    }
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": artifact_uri(path, base) },
            "region": json_region,
        }
    })
}

/// The directory artifact URIs are relative to: the enclosing git repository of the working
/// directory (GitHub resolves URIs from the repository root), else the working directory.
pub fn repository_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .map_or_else(|| cwd.clone(), Path::to_path_buf)
}

/// `path` (as rlsgate prints it: relative to the working directory, or absolute) as a URI
/// reference relative to `base`, with `/` separators and percent-encoding.
pub fn artifact_uri(path: &str, base: &Path) -> String {
    percent_encode(&repository_path(path, base))
}

/// `path` (as rlsgate prints it) relative to `base`, with `/` separators.
pub fn repository_path(path: &str, base: &Path) -> String {
    let path = Path::new(path);
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("."))
            .join(path)
    };
    let relative = relative_to(&normalize(&absolute), &normalize(base));
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `.` and `..` resolved without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for c in &path[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// Percent-encodes what a URI path may not hold as is (RFC 3986 `pchar` and `/`).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Partial fingerprints that identify a result across runs whatever moves around it: a hash
/// of its rule, file and subject (never a line number); the n-th result with the same
/// identity gets `:n`.
#[derive(Debug, Default)]
pub struct Fingerprints {
    seen: HashMap<String, usize>,
}

impl Fingerprints {
    /// `{"rlsgate/v1": "<hash>:<n>"}`.
    pub fn next(&mut self, rule: &str, uri: &str, subject: &str) -> Value {
        json!({ FINGERPRINT_KEY: self.next_text(rule, uri, subject) })
    }

    /// The fingerprint alone, `<hash>:<n>`.
    pub fn next_text(&mut self, rule: &str, uri: &str, subject: &str) -> String {
        let mut hasher = Sha256::new();
        for part in [rule, uri, subject] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let digest: String = hasher.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let n = self.seen.entry(digest.clone()).or_default();
        *n += 1;
        format!("{digest}:{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_repository_and_encoded() {
        let base = Path::new("/repo");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            artifact_uri("/repo/supabase/migrations/001 init.sql", base),
            "supabase/migrations/001%20init.sql"
        );
        assert_eq!(artifact_uri("/repo/./a/../b.sql", base), "b.sql");
        assert_eq!(artifact_uri("/elsewhere/x.sql", base), "../elsewhere/x.sql");
        assert_eq!(
            artifact_uri("migrations/001.sql", &cwd),
            "migrations/001.sql"
        );
        assert_eq!(
            artifact_uri("./migrations/001.sql", cwd.parent().unwrap()),
            format!(
                "{}/migrations/001.sql",
                cwd.file_name().unwrap().to_string_lossy()
            )
        );
    }

    #[test]
    fn fingerprints_are_stable_and_count_repeats() {
        let mut a = Fingerprints::default();
        let first = a.next("rls-disabled", "m/001.sql", "public.t");
        let second = a.next("rls-disabled", "m/001.sql", "public.t");
        assert_ne!(first, second);
        assert!(second[FINGERPRINT_KEY].as_str().unwrap().ends_with(":2"));
        let mut b = Fingerprints::default();
        assert_eq!(b.next("rls-disabled", "m/001.sql", "public.t"), first);
    }
}
