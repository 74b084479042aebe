//! The foundation as a person meets it: the CLI on real clusters, its errors, its teardown.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{bin, pid_alive, project, run, text};
use rlsgate::cluster::{Cluster, ClusterOptions};

const OK_SQL: &str = "create table public.notes (id uuid primary key default gen_random_uuid(), owner_id uuid not null references auth.users (id), body text not null);
alter table public.notes enable row level security;
create policy notes_own on public.notes for all to authenticated using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);
";

#[test]
fn a_broken_migration_names_its_file_line_and_column() {
    let dir = project(&[
        ("001_ok.sql", OK_SQL),
        ("002_broken.sql", "-- second file\n\ncreate table public.a (id int);\ninsert into public.a values (1);\n  create policy p on public.missing for select using (true);\n"),
    ]);
    let out = run(&["db"], dir.path());
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "migrations/002_broken.sql:5:3: relation \"public.missing\" does not exist (42P01)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("5 |   create policy p on public.missing"),
        "{stderr}"
    );
}

#[test]
fn a_syntax_error_points_at_the_token() {
    let dir = project(&[(
        "001.sql",
        "create table public.b (id int);\ncreate tabel public.c (id int);\n",
    )]);
    let out = run(&["db"], dir.path());
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("migrations/001.sql:2:8: syntax error at or near \"tabel\""),
        "{stderr}"
    );
}

#[test]
fn a_runtime_error_inside_a_function_is_located_by_replay() {
    let dir = project(&[(
        "001.sql",
        "create table public.t (id int not null);\ninsert into public.t values (1);\n\ninsert into public.t values (null);\n",
    )]);
    let out = run(&["db"], dir.path());
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("migrations/001.sql:4:1: null value in column \"id\""),
        "{stderr}"
    );
}

#[test]
fn concurrent_index_creation_runs_outside_the_file_transaction_as_the_cli_does() {
    // Supabase CLI v2.109+ runs statements Postgres refuses in a transaction block on their
    // own, between the file's batches.
    let dir = project(&[(
        "001.sql",
        "create table public.t (id int);\ncreate index concurrently t_id on public.t (id);\n\
         alter table public.t enable row level security;\n",
    )]);
    let out = run(&["-q", "test", "--allow-unspecified"], dir.path());
    let (_, stderr) = text(&out);
    assert_ne!(out.status.code(), Some(2), "{stderr}");
}

#[test]
fn no_migrations_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["test"], dir.path());
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("no migrations found"), "{stderr}");
    assert!(
        stderr.contains("supabase/migrations") && stderr.contains("/migrations"),
        "{stderr}"
    );
}

#[test]
fn a_non_utf8_migration_names_the_file_and_byte_offset() {
    let dir = project(&[("001.sql", "select 1;\n")]);
    std::fs::write(
        dir.path().join("migrations/002.sql"),
        b"select 'ok';\nselect '\xff';\n",
    )
    .unwrap();
    let out = run(&["test"], dir.path());
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("migrations/002.sql: not valid UTF-8 at byte offset 21 (line 2)"),
        "{stderr}"
    );
}

#[test]
fn missing_postgres_binaries_explain_what_was_searched() {
    let dir = project(&[("001.sql", OK_SQL)]);
    let out = bin()
        .env("RLSGATE_PG_BIN", "/nonexistent/bin")
        .arg("--project")
        .arg(dir.path())
        .arg("db")
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("no PostgreSQL server binaries found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/nonexistent/bin") && stderr.contains("apt-get install postgresql"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_db_url_names_the_host_not_the_password_and_fails_fast() {
    let dir = project(&[("001.sql", OK_SQL)]);
    let started = Instant::now();
    let out = bin()
        .arg("--project")
        .arg(dir.path())
        .args([
            "--db-url",
            "postgresql://postgres:s3cret-pw@127.0.0.1:1/postgres",
            "test",
        ])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
}

fn run_dirs() -> Vec<std::path::PathBuf> {
    std::fs::read_dir(rlsgate::cluster::run_root())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("rlsgate-"))
        .map(|e| e.path())
        .collect()
}

#[test]
fn dropping_a_cluster_stops_postgres_and_removes_its_directory() {
    let cluster = Cluster::start(&ClusterOptions::default()).unwrap();
    let pid = cluster.pid().unwrap();
    let dir = cluster.socket_dir().to_path_buf();
    assert!(pid_alive(pid) && dir.exists());
    drop(cluster);
    assert!(!pid_alive(pid), "postgres {pid} still running");
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[test]
fn a_panic_still_tears_the_cluster_down() {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let cluster = Cluster::start(&ClusterOptions::default()).unwrap();
        tx.send((cluster.pid().unwrap(), cluster.socket_dir().to_path_buf()))
            .unwrap();
        panic!("boom");
    });
    let (pid, dir) = rx.recv().unwrap();
    assert!(handle.join().is_err());
    assert!(!pid_alive(pid), "postgres {pid} survived the panic");
    assert!(!dir.exists());
}

fn sigterm_leaves_nothing(signal: i32) {
    let dir = project(&[("001.sql", OK_SQL)]);
    let mut child = bin()
        .arg("--project")
        .arg(dir.path())
        .arg("db")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    // Keep stdout open: a closed pipe would end `rlsgate db` before the signal does.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(lines.next().unwrap().unwrap().starts_with("psql "));
    assert!(
        first.starts_with("postgresql://postgres@/postgres?host="),
        "{first}"
    );
    let host = first
        .split("host=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let pid_file = std::fs::read_to_string(format!("{host}/data/postmaster.pid")).unwrap();
    let postmaster: i32 = pid_file.lines().next().unwrap().parse().unwrap();
    assert!(pid_alive(postmaster));
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "rlsgate db ended before it was signalled"
    );
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as i32, signal) };
    let status = child.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        !pid_alive(postmaster),
        "postgres {postmaster} outlived rlsgate"
    );
    assert!(
        !std::path::Path::new(&host).exists(),
        "{host} left behind: {stderr}"
    );
}

#[test]
fn sigterm_to_the_cli_leaves_no_process_and_no_directory() {
    sigterm_leaves_nothing(libc::SIGTERM);
}

#[test]
fn ctrl_c_ends_rlsgate_db_cleanly() {
    sigterm_leaves_nothing(libc::SIGINT);
}

#[test]
fn eight_parallel_runs_all_succeed_and_leave_nothing() {
    let handles: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                let child = bin()
                    .arg("--project")
                    .arg(common::repo())
                    .args(["test", "--format", "json"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let pid = child.id();
                let out = child.wait_with_output().unwrap();
                let (stdout, stderr) = text(&out);
                assert_eq!(out.status.code(), Some(0), "{stderr}");
                let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert!(report["summary"]["cells"].as_u64().unwrap() > 100);
                pid
            })
        })
        .collect();
    let pids: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().unwrap().to_string())
        .collect();
    let leftovers: Vec<_> = run_dirs()
        .into_iter()
        .filter(|d| {
            std::fs::read_to_string(d.join("rlsgate.pid"))
                .is_ok_and(|p| pids.contains(&p.trim().to_string()))
        })
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn db_url_mode_probes_an_existing_database_and_leaves_no_trace() {
    let mut server = bin()
        .arg("--project")
        .arg(common::repo())
        .arg("db")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap().trim().to_string();
    let psql = lines.next().unwrap().unwrap();
    assert_eq!(psql, format!("psql '{url}'"));
    let out = bin()
        .arg("--project")
        .arg(common::repo())
        .args(["--db-url", &url, "test", "--format", "json"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(out.status.code(), Some(0), "{}", report["summary"]);
    assert_eq!(report["summary"]["passed"], report["summary"]["cells"]);

    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let users: i64 = client
        .query_one("select count(*) from auth.users", &[])
        .unwrap()
        .get(0);
    let rows: i64 = client
        .query_one("select count(*) from public.conversations", &[])
        .unwrap()
        .get(0);
    assert_eq!((users, rows), (0, 0), "the run left rows behind");
    drop(client);
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(server.id() as i32, libc::SIGINT) };
    assert_eq!(server.wait().unwrap().code(), Some(0));
}

#[test]
fn with_the_download_feature_off_missing_binaries_never_try_the_network() {
    let dir = project(&[("001.sql", OK_SQL)]);
    let started = Instant::now();
    let out = bin()
        .env("RLSGATE_PG_BIN", "/nonexistent/bin")
        .arg("--project")
        .arg(dir.path())
        .arg("test")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(started.elapsed() < Duration::from_secs(5));
    let (_, stderr) = text(&out);
    assert!(stderr.contains("--features download"), "{stderr}");
}
