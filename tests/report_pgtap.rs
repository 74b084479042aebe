//! `rlsgate export pgtap DIR`: the specs as pgTAP files, run with pg_prove (what
//! `supabase test db` runs) against the emulated database as `postgres`, not a superuser.
//!
//! Needs `pg_prove` and the pgTAP extension (Debian: postgresql-15-pgtap,
//! libtap-parser-sourcehandler-pgtap-perl) and `psql`; without them the test says so and skips.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
}

fn pgtap_available() -> bool {
    let ok = on_path("pg_prove")
        && on_path("psql")
        && Path::new("/usr/share/postgresql/15/extension/pgtap.control").is_file();
    if !ok {
        eprintln!(
            "SKIPPED: pg_prove, psql or the pgTAP extension is missing \
             (apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl)"
        );
    }
    ok
}

/// `rlsgate db`, up until dropped.
struct Db {
    child: Child,
    /// Kept open: `rlsgate db` stops when its stdout goes away.
    _stdout: BufReader<std::process::ChildStdout>,
    url: String,
    host: String,
}

impl Db {
    fn start(project: &Path) -> Db {
        let mut child = common::bin()
            .arg("--project")
            .arg(project)
            .arg("db")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        let url = line.trim().to_string();
        let host = url
            .split("host=")
            .nth(1)
            .and_then(|h| h.split('&').next())
            .expect("a socket URL")
            .to_string();
        Db {
            child,
            _stdout: stdout,
            url,
            host,
        }
    }

    fn prove(&self, dir: &Path) -> (bool, String) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let out = Command::new("pg_prove")
            .args([
                "-h", &self.host, "-p", "5432", "-U", "postgres", "-d", "postgres",
            ])
            .args(&files)
            .output()
            .unwrap();
        let (stdout, stderr) = common::text(&out);
        (out.status.success(), format!("{stdout}{stderr}"))
    }

    fn psql_file(&self, file: &Path) {
        let status = Command::new("psql")
            .args([&self.url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(file)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

#[test]
fn exported_specs_pass_with_pg_prove_and_catch_a_regression() {
    if !pgtap_available() {
        return;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path().join("supabase/tests/database");
    let out = common::run(&["-q", "export", "pgtap", tests.to_str().unwrap()], &repo);
    let (stdout, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("rlsgate_public_documents.test.sql ("),
        "{stdout}"
    );
    let documents =
        std::fs::read_to_string(tests.join("rlsgate_public_documents.test.sql")).unwrap();
    assert!(documents.contains("'alice: select on documents sees {alice, shared_doc}'"));
    assert!(documents.contains("execute format('set local role %I', p_role);"));

    let db = Db::start(&repo);
    let (passed, output) = db.prove(&tests);
    assert!(passed, "{output}");
    assert!(output.contains("All tests successful."), "{output}");

    db.psql_file(&repo.join("regressions/04_disable_rls_api_keys.sql"));
    let (passed, output) = db.prove(&tests);
    assert!(!passed, "{output}");
    assert!(
        output.contains("Failed test 1: \"anon: select on api_keys sees none\""),
        "{output}"
    );
    assert!(
        output.contains("rlsgate_public_documents.test.sql .................... ok"),
        "only api_keys changed: {output}"
    );
    assert!(
        output.contains("rlsgate_functions.test.sql ........................... ok"),
        "{output}"
    );

    db.psql_file(&repo.join("regressions/11_anon_promotes_users.sql"));
    let (passed, output) = db.prove(&tests);
    assert!(!passed, "{output}");
    assert!(
        output.contains("\"anon (role anon) may not call promote_user(uuid)\""),
        "{output}"
    );
}
