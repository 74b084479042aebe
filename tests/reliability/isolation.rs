//! Runs never disturb each other: a run sweeps only directories it can prove dead (its own
//! user's, in its own PID namespace, with nobody holding their lock), and never signals a
//! process it cannot prove is its own postgres.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common;
use crate::support::{eventually, signal, Sandbox};

const SMALL: &str =
    "create table public.notes (id bigint generated always as identity primary key, \
                     owner_id uuid references auth.users (id), body text);\n\
                     alter table public.notes enable row level security;\n\
                     create policy \"own\" on public.notes for all to authenticated \
                     using (owner_id = auth.uid()) with check (owner_id = auth.uid());\n";

/// A small project every user can read.
fn project() -> tempfile::TempDir {
    let dir = common::project(&[("001_notes.sql", SMALL)]);
    for path in [dir.path().to_path_buf(), dir.path().join("migrations")] {
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    std::fs::set_permissions(
        dir.path().join("migrations/001_notes.sql"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    dir
}

/// A live `rlsgate db`: the process, its connection URL and its run directory.
struct Db {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Db {
    fn start(mut cmd: Command) -> Db {
        let mut child = cmd
            .arg("db")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let Some(Ok(url)) = lines.next() else {
            let out = child.wait_with_output().unwrap();
            panic!("rlsgate db did not start: {}", common::text(&out).1);
        };
        // Keep reading stdout so `rlsgate db` never blocks on it.
        std::thread::spawn(move || lines.for_each(drop));
        let dir = PathBuf::from(
            url.split("host=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap(),
        );
        Db { child, url, dir }
    }

    fn answers(&self) -> bool {
        postgres::Client::connect(&self.url, postgres::NoTls)
            .and_then(|mut c| c.query_one("select 1", &[]).map(|_| ()))
            .is_ok()
    }

    /// Ctrl-C: `rlsgate db` ends with 0 and removes its directory.
    fn stop(mut self) {
        signal(self.child.id(), libc::SIGINT);
        let status = self.child.wait().unwrap();
        assert_eq!(status.code(), Some(0));
        assert!(!self.dir.exists(), "{} left behind", self.dir.display());
    }
}

fn gate(sandbox: &Sandbox, project: &Path) -> Command {
    let mut cmd = sandbox.command(project);
    cmd.args(["test", "--allow-unspecified"]);
    cmd
}

fn assert_runs(mut cmd: Command) -> String {
    let out = cmd.output().unwrap();
    let (stdout, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    stderr
}

#[test]
fn a_run_killed_outright_is_swept_by_the_next_one() {
    let sandbox = Sandbox::new();
    let project = project();
    let mut db = Db::start(sandbox.command(project.path()));
    signal(db.child.id(), libc::SIGKILL);
    db.child.wait().unwrap();
    assert!(
        eventually(10, || sandbox.processes().is_empty()),
        "postgres outlived its rlsgate: {:?}",
        sandbox.processes()
    );
    assert!(db.dir.exists());
    assert_runs(gate(&sandbox, project.path()));
    assert!(!db.dir.exists(), "the dead run's directory was not swept");
}

/// uid and gid of `nobody`, when we are root and it exists.
fn other_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let name = std::ffi::CString::new("nobody").unwrap();
    // SAFETY: getpwnam returns NULL or a static record we copy out of at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    // SAFETY: checked non-null.
    (!pw.is_null()).then(|| unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
}

fn as_user(mut cmd: Command, (uid, gid): (u32, u32), cache: Option<&Path>) -> Command {
    cmd.uid(uid).gid(gid).env("HOME", "/nonexistent");
    match cache {
        Some(dir) => cmd.env("RLSGATE_CACHE_DIR", dir),
        None => cmd
            .env_remove("RLSGATE_CACHE_DIR")
            .env_remove("XDG_CACHE_HOME"),
    };
    cmd
}

#[test]
fn runs_of_two_users_never_disturb_each_other() {
    let Some(nobody) = other_user() else {
        eprintln!("SKIPPED: needs root and a `nobody` account to run as a second user");
        return;
    };
    let sandbox = Sandbox::new();
    let project = project();
    let theirs_cache = tempfile::tempdir().unwrap();
    std::os::unix::fs::chown(theirs_cache.path(), Some(nobody.0), Some(nobody.1)).unwrap();

    // Theirs beside ours: their run (with no writable HOME, so no cache: a warning, not a
    // failure) sweeps nothing of ours.
    let ours = Db::start(sandbox.command(project.path()));
    let stderr = assert_runs(as_user(gate(&sandbox, project.path()), nobody, None));
    assert!(stderr.contains("template cache is not usable"), "{stderr}");
    assert!(ours.dir.exists() && ours.answers());

    // Ours beside theirs, live and then killed outright: ours never touches their directory;
    // their own next run sweeps it.
    let mut theirs = Db::start(as_user(
        sandbox.command(project.path()),
        nobody,
        Some(theirs_cache.path()),
    ));
    assert_runs(gate(&sandbox, project.path()));
    assert!(theirs.dir.exists() && theirs.answers());
    signal(theirs.child.id(), libc::SIGKILL);
    theirs.child.wait().unwrap();
    assert_runs(gate(&sandbox, project.path()));
    assert!(theirs.dir.exists(), "another user's directory was swept");
    assert_runs(as_user(
        gate(&sandbox, project.path()),
        nobody,
        Some(theirs_cache.path()),
    ));
    assert!(!theirs.dir.exists(), "their own run did not sweep it");
    ours.stop();
}

#[test]
fn a_run_in_another_pid_namespace_is_never_disturbed() {
    let unshare = ["--pid", "--fork", "--mount-proc"];
    let permitted = Command::new("unshare")
        .args(unshare)
        .arg("true")
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !permitted {
        eprintln!("SKIPPED: `unshare --pid --fork --mount-proc` is not permitted here");
        return;
    }
    let sandbox = Sandbox::new();
    let project = project();
    let inner = sandbox.command(project.path());
    let mut cmd = Command::new("unshare");
    cmd.args(unshare)
        .arg(inner.get_program())
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let mut db = Db::start(cmd);
    assert_runs(gate(&sandbox, project.path()));
    assert!(
        db.dir.exists() && db.answers(),
        "the sweep touched a live run"
    );
    // unshare does not pass signals on: Ctrl-C goes to rlsgate itself, pid 1 inside.
    let children = std::fs::read_to_string(format!(
        "/proc/{pid}/task/{pid}/children",
        pid = db.child.id()
    ))
    .unwrap();
    let inside: u32 = children.split_whitespace().next().unwrap().parse().unwrap();
    signal(inside, libc::SIGINT);
    assert_eq!(db.child.wait().unwrap().code(), Some(0));
    assert!(
        eventually(10, || !db.dir.exists()),
        "{} left",
        db.dir.display()
    );
}

#[test]
fn a_postmaster_killed_outright_leaves_no_shared_memory() {
    let sandbox = Sandbox::new();
    let project = project();
    let mut db = Db::start(sandbox.command(project.path()));
    let pid_file = std::fs::read_to_string(db.dir.join("data/postmaster.pid")).unwrap();
    let postmaster: i32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
    let shmid: i32 = pid_file
        .lines()
        .nth(6)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mapped: Vec<String> = std::fs::read_to_string(format!("/proc/{postmaster}/maps"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.starts_with("/dev/shm/PostgreSQL"))
        .map(str::to_string)
        .collect();
    // SAFETY: the postmaster of the `rlsgate db` this test started.
    unsafe { libc::kill(postmaster, libc::SIGKILL) };
    let out = std::mem::replace(&mut db.child, Command::new("true").spawn().unwrap())
        .wait_with_output()
        .unwrap();
    let (_, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stopped unexpectedly"), "{stderr}");
    assert!(!db.dir.exists(), "{} left behind", db.dir.display());
    // SAFETY: IPC_STAT into a zeroed struct we own.
    let mut stat: libc::shmid_ds = unsafe { std::mem::zeroed() };
    assert_ne!(
        unsafe { libc::shmctl(shmid, libc::IPC_STAT, &mut stat) },
        0,
        "System V segment {shmid} left behind"
    );
    let left: Vec<&String> = mapped.iter().filter(|p| Path::new(p).exists()).collect();
    assert!(left.is_empty(), "{left:?} left in /dev/shm");
}
