use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "rlsgate",
    version,
    about = "Prove who can read and write which rows in a Supabase-style Postgres database"
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
    Test(TestArgs),
    /// Lint migration files (and, with --db, the migrated catalog).
    Lint(LintArgs),
    /// Start the emulated database with migrations applied and keep it up until Ctrl-C.
    Db(DbArgs),
    /// Write or check policy_specs/ from what the database really does.
    Snapshot(SnapshotArgs),
    /// Print the documentation of a lint rule, or list all rules.
    Rule(RuleArgs),
    /// Manage the template-cluster cache.
    Cache(CacheArgs),
    /// Combine the JSON reports of `test --partition K/N` runs into one verdict and report.
    Merge(MergeArgs),
    /// Write the auditor's report: access matrix with provenance, policies, functions, views, lint.
    Report(ReportArgs),
    /// Compare two `rlsgate test --format json` reports: which access widened or narrowed.
    Diff(DiffArgs),
    /// Write the specs in another test format.
    Export(ExportArgs),
    /// Weaken the security one statement at a time and check that the specs notice.
    Mutate(MutateArgs),
    /// Property-test isolation and claim tampering with generated users, rows and claims.
    Fuzz(FuzzArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    Human,
    Json,
    Junit,
    Markdown,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
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
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum LintFormat {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// SQL files or directories (default: the project's migrations).
    pub paths: Vec<PathBuf>,
    /// Also lint the migrated catalog (starts the emulated database).
    #[arg(long)]
    pub db: bool,
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, default_value = "error", value_name = "SEVERITY")]
    pub fail_on: String,
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
    Human,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MutateFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The JSON report before the change.
    pub old: PathBuf,
    /// The JSON report after the change.
    pub new: PathBuf,
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
