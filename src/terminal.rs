//! What reaches a person's terminal: colour choice, progress, error rendering.

use crate::cli::{ColorChoice, GlobalArgs};

pub fn init(global: &GlobalArgs) {
    match global.color {
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        ColorChoice::Auto => {}
    }
}

/// An error already rendered for a person (with its own `error:` headers, snippets and
/// carets): printed as it is.
#[derive(Debug)]
pub struct Rendered(pub String);

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rendered {}

/// `error: <top>` followed by each cause on its own line.
pub fn render_error(err: &anyhow::Error) -> String {
    if let Some(rendered) = err.downcast_ref::<Rendered>() {
        return rendered.0.clone();
    }
    let red = anstyle::Style::new()
        .bold()
        .fg_color(Some(anstyle::AnsiColor::Red.into()));
    let top = err.to_string();
    let mut text = format!("{red}error{red:#}: {top}");
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !top.contains(&cause) {
            text.push_str(&format!("\n  caused by: {cause}"));
        }
    }
    text
}

/// A spinner on stderr for work that may take more than a second: shown only on a terminal,
/// never in CI or with `--quiet`.
pub struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        use std::io::IsTerminal;
        let visible = !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = if visible {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(80));
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        Progress { bar }
    }

    pub fn hidden() -> Progress {
        Progress {
            bar: indicatif::ProgressBar::hidden(),
        }
    }

    pub fn set(&self, msg: impl Into<std::borrow::Cow<'static, str>>) {
        self.bar.set_message(msg);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The process's stdout for reports. A reader that goes away (`| head -1`, a closed pipe)
/// does not turn into an error that would hide the verdict: the rest of the report is
/// dropped, the command finishes, and `main` sees [`Stdout::is_closed`].
pub struct Stdout {
    inner: std::io::StdoutLock<'static>,
    closed: bool,
}

impl Stdout {
    pub fn new() -> Stdout {
        Stdout {
            inner: std::io::stdout().lock(),
            closed: false,
        }
    }

    /// True when part of the report could not be written because stdout was closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn absorb(&mut self, result: std::io::Result<()>) -> std::io::Result<()> {
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

impl Default for Stdout {
    fn default() -> Self {
        Stdout::new()
    }
}

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let result = self.inner.write_all(buf);
        self.absorb(result).map(|()| buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.absorb(result)
    }
}

/// One line on stderr; a closed stderr is ignored (it must never change the exit code).
pub fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(anstream::stderr(), "{line}");
}

/// With `RLSGATE_TIMINGS` set, how long a phase took, on stderr (for benchmarks).
pub fn timing(phase: &str, since: std::time::Instant) {
    took(phase, since.elapsed());
}

/// [`timing`] for a duration measured elsewhere.
pub fn took(phase: &str, elapsed: std::time::Duration) {
    if std::env::var_os("RLSGATE_TIMINGS").is_some() {
        note(&format!(
            "timing: {phase}: {:.1} ms",
            elapsed.as_secs_f64() * 1000.0
        ));
    }
}

/// With `RLSGATE_TIMINGS` set, the peak resident memory of this process (not of the Postgres
/// server it started), on stderr (for benchmarks; Linux only).
pub fn peak_memory() {
    if std::env::var_os("RLSGATE_TIMINGS").is_none() {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kb) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        note(&format!(
            "memory: peak RSS of rlsgate: {:.1} MB",
            kb as f64 / 1024.0
        ));
    }
}

/// What the emulation did differently from Supabase, on stderr, one line each.
pub fn emulation_warnings(warnings: &[String]) {
    let style = anstyle::Style::new()
        .fg_color(Some(anstyle::AnsiColor::Yellow.into()))
        .bold();
    for w in warnings {
        note(&format!("{style}warning{style:#}: {w}"));
    }
}

/// A fact about the run a person should know (the tenant model it inferred), on stderr.
pub fn fact(line: &str, quiet: bool) {
    if quiet {
        return;
    }
    let style = anstyle::Style::new()
        .fg_color(Some(anstyle::AnsiColor::Cyan.into()))
        .bold();
    note(&format!("{style}note{style:#}: {line}"));
}

/// The widest human output gets, in columns.
pub const MAX_WIDTH: usize = 100;

/// The columns human output must fit: stdout's terminal width, else `COLUMNS` (so a pipe can
/// ask for a width), else [`MAX_WIDTH`]; never more than [`MAX_WIDTH`] nor under 40.
pub fn width() -> usize {
    let terminal = terminal_size::terminal_size().map(|(w, _)| usize::from(w.0));
    let asked = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
    };
    terminal
        .or_else(asked)
        .unwrap_or(MAX_WIDTH)
        .clamp(40, MAX_WIDTH)
}

/// Greedy word wrap at `width` characters; a longer word stands on its own line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` wrapped to `width` columns: the first line after `first`, the others after `rest`
/// (a hanging indent), each ending in a newline.
pub fn wrap_indented(text: &str, width: usize, first: &str, rest: &str) -> String {
    let room = width.saturating_sub(rest.chars().count().max(first.chars().count()));
    let mut out = String::new();
    for (i, line) in wrap(text, room.max(10)).iter().enumerate() {
        out.push_str(if i == 0 { first } else { rest });
        out.push_str(line);
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str(first.trim_end());
        out.push('\n');
    }
    out
}

/// A line of SQL wrapped to `width` columns at spaces outside quotes, the
/// continuation lines indented by `indent` more: the text stays the same SQL.
pub fn wrap_sql(line: &str, width: usize, indent: usize) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let lead: String = line.chars().take_while(|c| c.is_whitespace()).collect();
    let continuation = format!("{lead}{}", " ".repeat(indent));
    let mut pieces: Vec<String> = Vec::new();
    let mut piece = String::new();
    let mut quote: Option<char> = None;
    for c in line.trim_start().chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == ' ' => {
                pieces.push(std::mem::take(&mut piece));
                continue;
            }
            None => {}
        }
        piece.push(c);
    }
    pieces.push(piece);
    let mut lines = vec![lead.clone()];
    for piece in pieces.into_iter().filter(|p| !p.is_empty()) {
        let current = lines.last_mut().expect("one line");
        let fresh = current.trim().is_empty();
        if !fresh && current.chars().count() + 1 + piece.chars().count() > width {
            lines.push(format!("{continuation}{piece}"));
        } else {
            if !fresh {
                current.push(' ');
            }
            current.push_str(&piece);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_wraps_outside_quotes_only() {
        let sql = r#"create policy "own rows of a user" on todos for select using ((select auth.uid()) = user_id);"#;
        let lines = wrap_sql(sql, 40, 4);
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
        assert_eq!(lines[0], r#"create policy "own rows of a user" on"#);
        let joined: Vec<&str> = lines.iter().map(|l| l.trim()).collect();
        assert_eq!(joined.join(" "), sql);
    }

    #[test]
    fn hanging_indent() {
        assert_eq!(
            wrap_indented("one two three four", 12, "- ", "  "),
            "- one two\n  three four\n"
        );
    }
}
