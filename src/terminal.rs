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
