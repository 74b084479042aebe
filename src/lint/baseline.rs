//! Baselines: the findings a project accepts today, so CI fails only on new ones. Entries match
//! on rule, file, object and message, not on line numbers, so unrelated edits keep them valid.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::diagnostic::Diagnostic;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub rule: String,
    pub file: Option<String>,
    pub object: Option<String>,
    pub message: String,
}

impl Entry {
    fn of(d: &Diagnostic) -> Entry {
        Entry {
            rule: d.rule.to_string(),
            file: d.file().map(String::from),
            object: d.object.clone(),
            message: d.message.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("baseline {path} is not valid: line {line}, column {column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

impl Baseline {
    pub fn of(diagnostics: &[Diagnostic]) -> Baseline {
        let mut findings: Vec<Entry> = diagnostics.iter().map(Entry::of).collect();
        findings.sort();
        Baseline {
            version: 1,
            findings,
        }
    }

    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: shown.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
            path: shown,
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The diagnostics not accounted for by the baseline (each entry absorbs one finding).
    pub fn new_findings(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let mut budget: BTreeMap<&Entry, usize> = BTreeMap::new();
        for e in &self.findings {
            *budget.entry(e).or_default() += 1;
        }
        diagnostics
            .into_iter()
            .filter(|d| {
                let entry = Entry::of(d);
                match budget.get_mut(&entry) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        false
                    }
                    _ => true,
                }
            })
            .collect()
    }
}
