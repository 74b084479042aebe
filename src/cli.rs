use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const MAIN_EXAMPLES: &str = concat!(
    "\
Examples:
  rlsgate init                   first run: write policy_specs/ and rlsgate.toml
  rlsgate test                   the gate, on the project in this directory
  rlsgate --project app test     a project elsewhere
  rlsgate lint                   lint the migration files, no database
  rlsgate test --format junit -o rls.xml
  rlsgate --db-url postgresql://postgres:postgres@127.0.0.1:54322/postgres test

Exit codes: 0 clean; 1 findings (failed, unspecified or inconclusive cells,
lint errors); 2 could not run (bad spec, broken migration, no Postgres).

Documentation: ",
    env!("CARGO_PKG_REPOSITORY"),
    "#readme
CI: ",
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/docs/ci.md"
);

const TEST_EXAMPLES: &str = "\
Examples:
  rlsgate test
  rlsgate test --table profiles --identity anon
  rlsgate test --format junit -o rls.xml          for a CI test report
  rlsgate test --also sarif=rls.sarif --also json=rls.json   one run, three reports
  rlsgate test --format json -o after.json && rlsgate diff before.json after.json
  rlsgate test --partition 2/4 --format json -o share-2.json   one of 4 CI runners";

const LINT_EXAMPLES: &str = "\
Examples:
  rlsgate lint                                     the project's migrations
  rlsgate lint supabase/migrations/20240101_init.sql
  rlsgate lint --db                                also the migrated catalog
  rlsgate lint --format sarif > lint.sarif         for GitHub code scanning
  rlsgate lint --also sarif=lint.sarif             the findings here and in a file
  rlsgate lint --fail-on warning
  rlsgate lint --write-baseline .rlsgate-baseline.json    accept today's findings
  rlsgate lint --baseline .rlsgate-baseline.json          fail only on new ones

Silence one statement with `-- rlsgate-ignore <rule>: reason` above it; configure rules in
rlsgate.toml (docs/lint.md).";

#[derive(Debug, Parser)]
#[command(
    name = "rlsgate",
    version,
    about = "Prove who can read and write which rows in a Supabase-style Postgres database",
    after_help = MAIN_EXAMPLES
)]
pub struct Opts {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Project directory (holds migrations/ or supabase/migrations/, policy_specs/, fixtures/).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub project: PathBuf,
    /// Use an existing database instead of starting one; all work is rolled back.
    #[arg(long, global = true, env = "RLSGATE_DB_URL", value_name = "URL")]
    pub db_url: Option<String>,
    /// Do not use or fill the template-cluster cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// When to use colour (NO_COLOR is respected by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No progress output.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// How long one probe statement may run before its cell is inconclusive (default 10s;
    /// `[timeouts] probe` in rlsgate.toml; 0 for none).
    #[arg(long, global = true, value_name = "DURATION", value_parser = crate::timeouts::parse)]
    pub probe_timeout: Option<std::time::Duration>,
    /// How long one migration or setup statement may run before the run stops with its
    /// file:line (default 60s; `[timeouts] migration` in rlsgate.toml; 0 for none).
    #[arg(long, global = true, value_name = "DURATION", value_parser = crate::timeouts::parse)]
    pub migration_timeout: Option<std::time::Duration>,
    /// How long one function call of the call probes may run before that call is
    /// inconclusive (default 1s; `[timeouts] call` in rlsgate.toml; 0 for none).
    #[arg(long, global = true, value_name = "DURATION", value_parser = crate::timeouts::parse)]
    pub call_timeout: Option<std::time::Duration>,
}

impl GlobalArgs {
    /// The timeouts of a run: `rlsgate.toml` in `--project`, then the flags.
    pub fn timeouts(&self) -> Result<crate::timeouts::Timeouts, crate::timeouts::TimeoutsError> {
        crate::timeouts::Timeouts::load(&self.project, self.probe_timeout, self.migration_timeout)
            .map(|t| crate::timeouts::with_call_flag(t, self.call_timeout))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe every table x identity x command and compare with policy_specs/.
    #[command(after_help = TEST_EXAMPLES)]
    Test(TestArgs),
    /// Lint migration files (and, with --db, the migrated catalog).
    #[command(after_help = LINT_EXAMPLES)]
    Lint(LintArgs),
    /// Start the emulated database with migrations applied and keep it up until Ctrl-C.
    #[command(
        after_help = "Examples:\n  rlsgate db\n  rlsgate --db-url postgresql://... db --migrate"
    )]
    Db(DbArgs),
    /// First run: write policy_specs/ and rlsgate.toml, print a CI workflow.
    #[command(
        after_help = "Examples:\n  rlsgate init\n  rlsgate --project path/to/app init\n\nReview policy_specs/ before committing: every line is a claim about who may\nread and write which rows. Cells left for review stay unspecified, so\n`rlsgate test` fails on them until you declare them."
    )]
    Init(InitArgs),
    /// Write or check policy_specs/ from what the database really does.
    #[command(
        after_help = "Examples:\n  rlsgate snapshot\n  rlsgate snapshot --check      exit 1 when specs and database differ"
    )]
    Snapshot(SnapshotArgs),
    /// Print the documentation of a lint rule, or list all rules.
    #[command(after_help = "Examples:\n  rlsgate rule\n  rlsgate rule rls-disabled")]
    Rule(RuleArgs),
    /// Manage the template-cluster cache.
    Cache(CacheArgs),
    /// Combine the JSON reports of `test --partition K/N` runs into one verdict and report.
    #[command(
        after_help = "Examples:\n  rlsgate merge share-1.json share-2.json share-3.json\n  rlsgate merge share-*.json --format junit -o rls.xml"
    )]
    Merge(MergeArgs),
    /// Write the auditor's report: access matrix with provenance, policies, functions, views, lint.
    #[command(
        after_help = "Examples:\n  rlsgate report --html access.html\n  rlsgate report --markdown access.md --no-provenance"
    )]
    Report(ReportArgs),
    /// Compare two `rlsgate test --format json` reports: which access widened or narrowed.
    #[command(
        after_help = "Examples:\n  rlsgate diff base.json head.json\n  rlsgate diff base.json head.json --format markdown > comment.md\n\nExit 1 when any access widened."
    )]
    Diff(DiffArgs),
    /// Write the specs in another test format.
    #[command(after_help = "Examples:\n  rlsgate export pgtap supabase/tests/database")]
    Export(ExportArgs),
    /// Weaken the security one statement at a time and check that the specs notice.
    #[command(
        after_help = "Examples:\n  rlsgate mutate\n  rlsgate mutate --table profiles --format json -o mutants.json"
    )]
    Mutate(MutateArgs),
    /// Property-test isolation and claim tampering with generated users, rows and claims.
    #[command(
        after_help = "Examples:\n  rlsgate fuzz\n  rlsgate fuzz --seed 7 --cases 256 --time-budget 60"
    )]
    Fuzz(FuzzArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  rlsgate completions bash > ~/.local/share/bash-completion/completions/rlsgate\n  rlsgate completions zsh > ~/.zfunc/_rlsgate\n  rlsgate completions fish > ~/.config/fish/completions/rlsgate.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    #[command(
        after_help = "Examples:\n  rlsgate man | man -l -\n  rlsgate man --dir /usr/local/share/man/man1"
    )]
    Man(ManArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// One grid per table (identity x command, expected vs actual), then what failed and why.
    Human,
    /// Every cell with its probes, and the run's metadata: input of `diff` and `merge`.
    Json,
    /// JUnit XML: a test suite per table, a test case per cell, one per catalog lint error.
    Junit,
    /// Markdown tables for a pull-request comment or a job summary.
    Markdown,
    /// SARIF 2.1.0 for GitHub code scanning: each failed, inconclusive or unspecified cell at
    /// its spec line and the migration statement that opens it, and the catalog lint findings.
    Sarif,
    /// GitHub Actions annotations: the same findings on the pull request's lines.
    Github,
}

/// `FORMAT=FILE`: one more report of the same run, written to FILE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Also<F> {
    pub format: F,
    pub path: PathBuf,
}

impl<F: ValueEnum> std::str::FromStr for Also<F> {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let names = || {
            F::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value())
                .map(|v| v.get_name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some((format, path)) = s.split_once('=') else {
            return Err(format!(
                "`{s}` is not FORMAT=FILE (for example sarif=rlsgate.sarif; formats: {})",
                names()
            ));
        };
        let format = F::from_str(format.trim(), true)
            .map_err(|_| format!("unknown format `{format}` (formats: {})", names()))?;
        if path.is_empty() {
            return Err(format!("`{s}`: no file after `=`"));
        }
        Ok(Also {
            format,
            path: PathBuf::from(path),
        })
    }
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the same run in FORMAT to FILE (human, json, junit, markdown, sarif,
    /// github); repeatable.
    #[arg(long, value_name = "FORMAT=FILE")]
    pub also: Vec<Also<TestFormat>>,
    /// Only these tables (`name` or `schema.name`); repeatable.
    #[arg(long = "table", value_name = "TABLE")]
    pub tables: Vec<String>,
    /// Only these identities; repeatable.
    #[arg(long = "identity", value_name = "NAME")]
    pub identities: Vec<String>,
    /// Do not fail on cells that no spec covers.
    #[arg(long)]
    pub allow_unspecified: bool,
    /// Parallel probe connections (default: number of CPUs, at least 2).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// With --db-url: apply the project's migrations first (rolled back with everything else).
    #[arg(long)]
    pub migrate: bool,
    /// Do not apply the seed files (`supabase/seed.sql`, or `[db.seed] sql_paths` in
    /// supabase/config.toml) that `supabase start` applies after the migrations.
    #[arg(long)]
    pub no_seed: bool,
    /// Probe only share K of N of the tables (round-robin in name order), for N CI runners;
    /// combine their `--format json` outputs with `rlsgate merge`.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,
}

/// `K/N`: share K (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Partition {
    pub index: usize,
    pub total: usize,
}

impl std::str::FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || format!("`{s}` is not K/N (for example 1/3, K from 1 to N)");
        let (k, n) = s.split_once('/').ok_or_else(usage)?;
        let index: usize = k.trim().parse().map_err(|_| usage())?;
        let total: usize = n.trim().parse().map_err(|_| usage())?;
        if total == 0 || index == 0 || index > total {
            return Err(usage());
        }
        Ok(Partition { index, total })
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports written by `rlsgate test --format json`.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// Report format of the combined verdict.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the combined verdict in FORMAT to FILE; repeatable.
    #[arg(long, value_name = "FORMAT=FILE")]
    pub also: Vec<Also<TestFormat>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum LintFormat {
    /// rustc-style: the source line with a caret, the help, the rule's documentation link.
    Human,
    /// One record per finding (a stable contract, docs/lint.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request's lines.
    Github,
    /// GitLab Code Quality JSON (`artifacts:reports:codequality`), shown on merge requests.
    Gitlab,
    /// JUnit XML: a test suite per file, a failing test case per finding.
    Junit,
}

/// The severity at which `lint` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors.
    #[value(alias = "warn")]
    Warning,
    /// Any finding, notes included.
    #[value(alias = "note")]
    Info,
    /// Never: report only.
    #[value(alias = "none")]
    Never,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// SQL files or directories (default: the project's migrations).
    pub paths: Vec<PathBuf>,
    /// Also lint the migrated catalog (starts the emulated database).
    #[arg(long)]
    pub db: bool,
    /// Report format.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
    /// Also write the findings in FORMAT to FILE (human, json, sarif, github, gitlab, junit);
    /// repeatable.
    #[arg(long, value_name = "FORMAT=FILE")]
    pub also: Vec<Also<LintFormat>>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// Only report findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the current findings to FILE as a baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Configuration file (default: rlsgate.toml in the project).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DbArgs {
    /// With --db-url: apply the project's migrations to that database (rolled back on exit).
    #[arg(long)]
    pub migrate: bool,
    /// Do not apply the seed files that `supabase start` applies after the migrations.
    #[arg(long)]
    pub no_seed: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Fail (exit 1) when policy_specs/ and the database differ, writing nothing.
    #[arg(long)]
    pub check: bool,
    /// Write suspicious cells (docs/specs.md#the-presumption) as specs too, accepting what the
    /// database does there as intended. Without it they are written commented out, with why.
    #[arg(long)]
    pub accept_suspicious: bool,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule id, e.g. `rls-disabled`. Without it, list every rule.
    pub id: Option<String>,
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub action: CacheAction,
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Print where the cache lives.
    Path,
    /// Remove every cached template cluster.
    Clear,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Write a self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write a Markdown report to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Only these tables (`name` or `schema.name`); repeatable.
    #[arg(long = "table", value_name = "TABLE")]
    pub tables: Vec<String>,
    /// Do not fail on cells that no spec covers.
    #[arg(long)]
    pub allow_unspecified: bool,
    /// Skip tracing which policy grants each allowed cell (faster).
    #[arg(long)]
    pub no_provenance: bool,
    /// Parallel probe connections (default: number of CPUs, at least 2).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// What widened and narrowed, one cell per line.
    Human,
    /// A pull-request comment.
    Markdown,
    /// Every changed cell, for scripts.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MutateFormat {
    /// A table per kind of mutant, then the survivors and what would catch them.
    Human,
    /// Every mutant with its verdict (a stable contract, docs/mutate.md).
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The JSON report before the change.
    pub old: PathBuf,
    /// The JSON report after the change.
    pub new: PathBuf,
    /// Report format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub target: ExportTarget,
}

#[derive(Debug, Subcommand)]
pub enum ExportTarget {
    /// pgTAP tests for `supabase test db` (writes DIR/rlsgate_*.test.sql).
    Pgtap(PgtapArgs),
}

#[derive(Debug, Args)]
pub struct PgtapArgs {
    /// Output directory, e.g. supabase/tests/database.
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct MutateArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = MutateFormat::Human)]
    pub format: MutateFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only mutants that can affect these tables (`name` or `schema.name`); repeatable.
    #[arg(long = "table", value_name = "TABLE")]
    pub tables: Vec<String>,
    /// Mutants probed at the same time, each on its own connection (default 3).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// With --db-url: apply the project's migrations first (rolled back at the end).
    #[arg(long)]
    pub migrate: bool,
}

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Seed of the generator: the same seed generates the same cases.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed: u64,
    /// Generated cases per property.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub cases: u32,
    /// Stop generating new cases after this many seconds (shrinking a failure still finishes).
    #[arg(long, value_name = "SECS")]
    pub time_budget: Option<u64>,
    /// Only these tables (`name` or `schema.name`); repeatable.
    #[arg(long = "table", value_name = "TABLE")]
    pub tables: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Also write policy_specs/ when it already holds spec files (they are updated, as
    /// `rlsgate snapshot` does, never replaced).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write rlsgate.1 and one page per command (rlsgate-test.1, ...) into DIR instead of
    /// printing rlsgate.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}
