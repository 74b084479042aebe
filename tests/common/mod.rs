#![allow(dead_code)]
//! Helpers shared by the integration tests: the built CLI, scratch projects, a shared cluster.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use rlsgate::cluster::{Cluster, ClusterOptions};

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rlsgate"));
    cmd.env_remove("RLSGATE_DB_URL").env("NO_COLOR", "1");
    cmd
}

pub fn run(args: &[&str], project: &Path) -> Output {
    bin()
        .arg("--project")
        .arg(project)
        .args(args)
        .output()
        .expect("run rlsgate")
}

/// Runs rlsgate in `dir` (its project unless `--project` says otherwise), at no set width.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .env_remove("COLUMNS")
        .output()
        .expect("run rlsgate")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A copy of the directory tree `from` at `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A scratch project with these migration files (name, SQL).
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    for (name, sql) in files {
        std::fs::write(migrations.join(name), sql).unwrap();
    }
    dir
}

/// The repository root (the demo project).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One cluster for the whole test binary; tests isolate themselves with transactions.
pub fn shared_cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        Cluster::start(&ClusterOptions::default()).expect("start the shared cluster")
    })
}

pub fn superuser() -> postgres::Client {
    shared_cluster()
        .connect(rlsgate::supabase::SUPERUSER)
        .expect("connect")
}

pub fn pid_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

/// `rlsgate -q test --allow-unspecified --format json` on a scratch project: (exit code, the
/// JSON report, stderr).
pub fn test_report(files: &[(&str, &str)]) -> (Option<i32>, serde_json::Value, String) {
    let dir = project(files);
    let out = run(
        &["-q", "test", "--allow-unspecified", "--format", "json"],
        dir.path(),
    );
    let (stdout, stderr) = text(&out);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("no JSON report ({e}); stderr:\n{stderr}");
    });
    (out.status.code(), report, stderr)
}

/// [`test_report`]'s exit code, summary and stderr, for schemas that test synthesis: the access
/// they leave open (tables without RLS, any user writing any row) is suspicious to a run
/// without specs and fails the gate. What counts there is that every probe is conclusive and
/// nothing fails: an exit of 1 for suspicious cells alone reads as 0.
pub fn synthesis_run(files: &[(&str, &str)]) -> (i32, serde_json::Value, String) {
    let (code, report, stderr) = test_report(files);
    let summary = report["summary"].clone();
    let code = match code.unwrap_or(-1) {
        1 if summary["suspicious"].as_u64() > Some(0)
            && summary["failed"] == 0
            && summary["inconclusive"] == 0 =>
        {
            0
        }
        code => code,
    };
    (code, summary, stderr)
}

/// `rlsgate -q test --allow-unspecified` on a project that cannot run: asserts exit 2 and
/// returns stderr.
pub fn test_failure(files: &[(&str, &str)]) -> String {
    let dir = project(files);
    let out = run(&["-q", "test", "--allow-unspecified"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    text(&out).1
}
