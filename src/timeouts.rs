//! How long one statement may run: a probe (a policy that sleeps or loops makes its cell
//! inconclusive, never the run), and a migration statement or a setup statement such as a
//! signup trigger (a located error instead of a hang), and one function call of the call probes
//! (a function that raises, loops or sleeps makes that call inconclusive).
//!
//! Defaults, then `[timeouts]` in `rlsgate.toml`, then `--probe-timeout` /
//! `--migration-timeout`. A duration is `500ms`, `10s`, `2m` or a number of seconds; `0`
//! means no limit.
//!
//! ```toml
//! [timeouts]
//! probe = "10s"
//! migration = "60s"
//! call = "1s"
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_PROBE: Duration = Duration::from_secs(10);
pub const DEFAULT_MIGRATION: Duration = Duration::from_secs(60);
/// One function call of the call probes (`--call-timeout`, `[timeouts] call`).
pub const DEFAULT_CALL: Duration = Duration::from_secs(1);

/// `None`: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub probe: Option<Duration>,
    pub migration: Option<Duration>,
    pub call: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            probe: Some(DEFAULT_PROBE),
            migration: Some(DEFAULT_MIGRATION),
            call: Some(DEFAULT_CALL),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TimeoutsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: u32,
        column: u32,
        message: String,
    },
}

impl Timeouts {
    /// The defaults, `[timeouts]` of `<project>/rlsgate.toml` over them, then the flags.
    pub fn load(
        project: &Path,
        probe: Option<Duration>,
        migration: Option<Duration>,
    ) -> Result<Timeouts, TimeoutsError> {
        let mut timeouts = Timeouts::default();
        let path = project.join("rlsgate.toml");
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|source| TimeoutsError::Read {
                path: path.clone(),
                source,
            })?;
            timeouts.apply(&path, &text)?;
        }
        if let Some(p) = probe {
            timeouts.probe = limit(p);
        }
        if let Some(m) = migration {
            timeouts.migration = limit(m);
        }
        Ok(timeouts)
    }

    fn apply(&mut self, path: &Path, text: &str) -> Result<(), TimeoutsError> {
        let invalid = |offset: usize, message: String| {
            let (line, column) = crate::sql::line_col(text, offset);
            TimeoutsError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        // Syntax errors are the lint configuration's to report (it reads the same file).
        let Ok(doc) = toml_edit::Document::parse(text) else {
            return Ok(());
        };
        let Some(item) = doc.get("timeouts") else {
            return Ok(());
        };
        let offset = |item: &toml_edit::Item| item.span().map_or(0, |s| s.start);
        let Some(table) = item.as_table_like() else {
            return Err(invalid(offset(item), "`timeouts` must be a table".into()));
        };
        for (key, value) in table.iter() {
            let slot = match key {
                "probe" => &mut self.probe,
                "migration" => &mut self.migration,
                "call" => &mut self.call,
                other => {
                    return Err(invalid(
                        offset(value),
                        format!(
                            "unknown key `{other}` in [timeouts]: expected `probe`, `migration` or `call`"
                        ),
                    ))
                }
            };
            let parsed = match (value.as_str(), value.as_integer()) {
                (Some(s), _) => parse(s),
                (_, Some(n)) if n >= 0 => Ok(Duration::from_secs(n as u64)),
                _ => Err("expected a duration such as \"10s\"".to_string()),
            };
            *slot = limit(
                parsed.map_err(|e| invalid(offset(value), format!("[timeouts] {key}: {e}")))?,
            );
        }
        Ok(())
    }
}

/// `--call-timeout`, when given, over the configured call timeout.
pub fn with_call_flag(mut timeouts: Timeouts, flag: Option<Duration>) -> Timeouts {
    if let Some(c) = flag {
        timeouts.call = limit(c);
    }
    timeouts
}

fn limit(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// `500ms`, `10s`, `2m`, `1h` or plain seconds (`30`); `0` is no limit.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 500ms, 10s, 2m; 0 for none)"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (ms, s, m or h)"
            ))
        }
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// A duration as Postgres's `statement_timeout` takes it (milliseconds; 0 is none).
pub fn as_setting(limit: Option<Duration>) -> String {
    limit.map_or(0, |d| d.as_millis().max(1)).to_string()
}

/// `500 ms`, `10 s`: a limit for messages.
pub fn describe(limit: Duration) -> String {
    if limit.subsec_millis() != 0 || limit < Duration::from_secs(1) {
        format!("{} ms", limit.as_millis())
    } else {
        format!("{} s", limit.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_zero_means_none() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("30"), Ok(Duration::from_secs(30)));
        assert!(parse("ten").is_err());
        assert!(parse("10 parsecs").is_err());
        assert_eq!(limit(parse("0").unwrap()), None);
    }

    #[test]
    fn the_config_section_is_read_and_located_when_wrong() {
        let mut t = Timeouts::default();
        t.apply(
            Path::new("rlsgate.toml"),
            "[timeouts]\nprobe = \"2s\"\nmigration = 0\n",
        )
        .unwrap();
        assert_eq!(t.probe, Some(Duration::from_secs(2)));
        assert_eq!(t.migration, None);
        let err = t
            .apply(
                Path::new("rlsgate.toml"),
                "[lint]\n\n[timeouts]\nprobe = \"soon\"\n",
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("rlsgate.toml:4:9: [timeouts] probe:"),
            "{err}"
        );
        let err = t
            .apply(Path::new("rlsgate.toml"), "[timeouts]\nprobes = \"1s\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("unknown key `probes`"), "{err}");
    }
}
