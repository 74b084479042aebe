//! Column values for synthesized rows, as SQL literals with casts. Deterministic: the same
//! table, column and sequence number always give the same value.

use sha2::{Digest, Sha256};

mod pattern;

use pattern::{like_sample, regex_sample};

use super::catalog::Column;

/// A stable uuid from any key (version-4 layout, deterministic bits).
pub fn stable_uuid(key: &str) -> String {
    let d = Sha256::digest(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub use crate::sql::quote_literal as literal;

/// A JSON value (a row read with `to_jsonb`, a fixture value) as an SQL literal, for a cast
/// to the column's type; JSON null is SQL null.
pub fn json_literal(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "null".to_string(),
        serde_json::Value::String(s) => literal(s),
        other => literal(&other.to_string()),
    }
}

/// A row's value read back as JSON, as SQL for `column`: a JSON column's value is its JSON
/// text (the string `"x"` stays quoted), any other column's the text Postgres printed.
pub fn column_literal(value: &serde_json::Value, column: &Column) -> String {
    let text = if matches!(column.base_type.as_str(), "json" | "jsonb") {
        literal(&value.to_string())
    } else {
        json_literal(value)
    };
    format!("{text}::{}", column.sql_type)
}

/// A value for `column` in row number `seq` of table `table_key`; `attempt` > 0 asks for an
/// alternative after a CHECK rejected the previous one. `hints` are literals taken from the
/// failing CHECK's definition.
pub fn generate(
    table_key: &str,
    column: &Column,
    seq: usize,
    attempt: usize,
    hints: &[String],
) -> String {
    let cast = &column.sql_type;
    let base = column.base_type.as_str();
    if matches!(base, "json" | "jsonb") {
        // CHECK literals are JSON type names (`jsonb_typeof(x) = 'array'`), not values.
        let shapes = ["'{}'", "'[{}]'", "'\"x\"'", "'1'", "'[]'", "'true'"];
        return format!("{}::{cast}", shapes[attempt % shapes.len()]);
    }
    // a number from `check (hour between 0 and 23)` is no value for a time column
    let fits = |h: &&String| !h.starts_with(|c: char| c.is_ascii_digit()) || column.category == 'N';
    if let Some(hint) = attempt
        .checked_sub(1)
        .and_then(|i| hints.get(i))
        .filter(fits)
    {
        if let Some(p) = hint.strip_prefix(REGEX) {
            let sample = regex_sample(p, seq).unwrap_or_default();
            return format!("{}::{cast}", literal(&sample));
        }
        if let Some(p) = hint.strip_prefix(LIKE) {
            return format!("{}::{cast}", literal(&like_sample(p, seq)));
        }
        return format!("{hint}::{cast}");
    }
    if let Some(length) = attempt
        .checked_sub(1)
        .and_then(|i| hints.get(i))
        .filter(|_| column.category == 'S' || base == "citext")
        .and_then(|h| h.parse::<usize>().ok())
        .filter(|&n| n <= MAX_PADDED_TEXT && n >= (seq + 1).to_string().len())
    {
        // `check (char_length(body) between 10 and 2000)`: a text of each length it names,
        // none too short for the row's number (rows must not meet on a unique name)
        let text = text_value(table_key, column, seq, attempt);
        return format!("{}::{cast}", literal(&text_of_length(&text, length)));
    }
    if column.type_kind == 'e' {
        let labels = &column.enum_labels;
        let pick = labels
            .get(attempt.saturating_sub(hints.len()) % labels.len().max(1))
            .cloned()
            .unwrap_or_default();
        return format!("{}::{cast}", literal(&pick));
    }
    let n = seq + 1;
    let v = match base {
        "uuid" => literal(&stable_uuid(&format!(
            "{table_key}.{}.{seq}.{attempt}",
            column.name
        ))),
        "bool" => (if attempt.is_multiple_of(2) {
            "false"
        } else {
            "true"
        })
        .to_string(),
        "int2" | "int4" | "int8" | "numeric" | "float4" | "float8" | "money" | "oid" => {
            let n = match integer_digits(column) {
                Some(d) => (n as i64 % 10i64.pow(d.min(18))).max(1),
                None => n as i64,
            };
            let candidates = [n, 0, 1, 100, 1000, -1];
            candidates[attempt % candidates.len()].to_string()
        }
        // Earlier on each retry: a unique key on (day, hour) needs another value.
        "date" if ends_later(&column.name) => format!("(current_date + 1 - {attempt})"),
        "date" => format!("(current_date - {attempt})"),
        "timestamptz" | "timestamp" if ends_later(&column.name) => {
            format!("(now() + interval '1 day' - interval '{attempt} minutes')")
        }
        "timestamptz" | "timestamp" => format!("(now() - interval '{attempt} minutes')"),
        "time" | "timetz" => format!("(time '12:00' - interval '{attempt} hours')"),
        "interval" => format!("interval '{} hour'", attempt + 1),
        "inet" | "cidr" => "'127.0.0.1'".to_string(),
        "macaddr" => "'08:00:2b:01:02:03'".to_string(),
        // one value for all rows, as bytea columns often match across tables (an address a
        // trigger looks up); a row's own bytes once a unique key refused that (a passkey)
        "bytea" if attempt == 0 => "'\\x00'".to_string(),
        "bytea" => format!("'\\x{:08x}{attempt:02x}'", seq % (1 << 32)),
        "tsvector" => "''".to_string(),
        "point" => "'(0,0)'".to_string(),
        "bit" | "varbit" => "'1'".to_string(),
        _ if column.category == 'A' => "'{}'".to_string(),
        _ if column.category == 'S' || base == "citext" => {
            match attempt.checked_sub(hints.len() + 1) {
                Some(k) => literal(&text_alternative(column, seq, k)),
                None => literal(&text_value(table_key, column, seq, attempt)),
            }
        }
        _ => literal(&n.to_string()),
    };
    format!("{v}::{cast}")
}

/// How many digits before the point a number column holds: `numeric(5,2)` 3, `smallint` 4.
fn integer_digits(column: &Column) -> Option<u32> {
    if column.base_type == "int2" {
        return Some(4);
    }
    let args = column.sql_type.split_once('(')?.1.strip_suffix(')')?;
    let mut parts = args.split(',').map(|p| p.trim().parse::<u32>().ok());
    let precision = parts.next()??;
    let scale = parts.next().flatten().unwrap_or(0);
    Some(precision.saturating_sub(scale).max(1))
}

/// The longest text a length named in a CHECK is met with.
const MAX_PADDED_TEXT: usize = 10_000;

/// `text` cut or padded to `length` characters, keeping its end (where the row's number is).
fn text_of_length(text: &str, length: usize) -> String {
    let count = text.chars().count();
    if count >= length {
        text.chars().skip(count - length).collect()
    } else {
        format!("{}{text}", "x".repeat(length - count))
    }
}

/// Whether a date/time column names the end of something (`ends_at`, `expires_on`,
/// `valid_until`...), so it gets a later value than its start: `check (ends_at > starts_at)`.
fn ends_later(column: &str) -> bool {
    column.to_ascii_lowercase().split('_').any(|w| {
        matches!(
            w,
            "end"
                | "ends"
                | "ended"
                | "expire"
                | "expires"
                | "expiry"
                | "expired"
                | "until"
                | "finish"
                | "finished"
                | "finishes"
                | "due"
                | "stop"
                | "stops"
                | "close"
                | "closes"
                | "deadline"
                | "to"
                | "out"
                | "departure"
                | "return"
                | "checkout"
        )
    })
}

/// Text that fits the usual shapes CHECKs demand once the free-form value and the CHECK's
/// own literals failed: a lower-case slug, an upper-case code, bare alphanumerics, digits.
fn text_alternative(column: &Column, seq: usize, k: usize) -> String {
    let stem: String = column
        .name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect::<String>()
        .to_ascii_lowercase();
    let n = seq + 1;
    let v = match k % 4 {
        0 => format!("{stem}-{n}"),
        1 => format!("{}-{n}", stem.to_ascii_uppercase()),
        2 => format!("{stem}{n}"),
        _ => format!("{n:04}"),
    };
    match column.max_len {
        Some(max) if v.chars().count() > max => v
            .chars()
            .rev()
            .take(max)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect(),
        _ => v,
    }
}

fn text_value(table_key: &str, column: &Column, seq: usize, attempt: usize) -> String {
    let name = column.name.to_ascii_lowercase();
    let tag = format!(
        "{}{}",
        seq + 1,
        if attempt > 0 {
            format!("x{attempt}")
        } else {
            String::new()
        }
    );
    let short_table: String = table_key
        .rsplit('.')
        .next()
        .unwrap_or(table_key)
        .chars()
        .take(12)
        .collect();
    let mut v = if name.contains("email") {
        format!("{short_table}{tag}@example.test")
    } else if name.contains("url") || name.contains("link") || name.contains("website") {
        format!("https://example.test/{short_table}/{tag}")
    } else if name.contains("phone") {
        format!("+1555000{:04}", seq % 10_000)
    } else if name.ends_with("slug") || name == "username" || name == "handle" {
        format!("{short_table}_{tag}")
    } else {
        format!("{} {tag}", column.name)
    };
    if let Some(max) = column.max_len {
        v = v
            .chars()
            .rev()
            .take(max)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
    }
    v
}

/// Hints naming a pattern the value must match, sampled per row.
const REGEX: &str = "regex:";
const LIKE: &str = "like:";

/// Literals quoted in a CHECK definition (`'draft'::text`, `ARRAY['a', 'b']`, numbers), as
/// candidate values for the columns it constrains.
pub fn check_hints(definition: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = definition.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            let mut text = String::new();
            while let Some((_, d)) = chars.next() {
                if d == '\'' {
                    if chars.peek().map(|&(_, n)| n) == Some('\'') {
                        chars.next();
                        text.push('\'');
                        continue;
                    }
                    break;
                }
                text.push(d);
            }
            let before = definition[..i].trim_end();
            let op = before
                .rsplit(|c: char| c.is_whitespace() || c == '(')
                .next()
                .unwrap_or_default();
            match op {
                "~~" | "~~*" => out.push(format!("{LIKE}{text}")),
                "~" | "~*" if regex_sample(&text, 0).is_some() => {
                    out.push(format!("{REGEX}{text}"))
                }
                "~" | "~*" => {}
                "!~" | "!~*" | "!~~" | "!~~*" => {}
                _ => out.push(literal(&text)),
            }
        } else if c.is_ascii_digit()
            && !definition[..i].ends_with(|p: char| p.is_alphanumeric() || p == '_')
        {
            let num: String = definition[i..]
                .chars()
                .take_while(|d| d.is_ascii_digit() || *d == '.')
                .collect();
            for _ in 1..num.len() {
                chars.next();
            }
            if let Ok(x) = num.parse::<f64>() {
                out.push(num.clone());
                out.push(format!("{}", x + 1.0));
            }
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_columns_come_after_start_columns() {
        assert!(ends_later("ends_at"));
        assert!(ends_later("valid_until"));
        assert!(ends_later("expires_on"));
        assert!(!ends_later("starts_at"));
        assert!(!ends_later("tokens_used_at"));
    }

    #[test]
    fn stable_uuid_is_stable_and_shaped() {
        let a = stable_uuid("alice");
        assert_eq!(a, stable_uuid("alice"));
        assert_ne!(a, stable_uuid("bob"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn a_text_meets_the_lengths_a_check_names() {
        assert_eq!(text_of_length("body 7", 10), "xxxxbody 7");
        assert_eq!(text_of_length("description 12", 3), " 12");
        assert_eq!(text_of_length("body 7", 0), "");
    }

    #[test]
    fn check_hints_reads_literals_and_numbers() {
        let hints = check_hints(
            "CHECK ((status = ANY (ARRAY['draft'::text, 'it''s'::text])) AND (n >= 5))",
        );
        assert!(hints.contains(&"'draft'".to_string()));
        assert!(hints.contains(&"'it''s'".to_string()));
        assert!(hints.contains(&"5".to_string()));
        assert!(hints.contains(&"6".to_string()));
        let hints =
            check_hints("CHECK ((code ~ '^[A-Z]{2}-\\d{3}$'::text) AND (sku ~~ 'SKU-%'::text))");
        assert_eq!(hints, vec!["regex:^[A-Z]{2}-\\d{3}$", "like:SKU-%"]);
    }
}
