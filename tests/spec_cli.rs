//! The spec side of `rlsgate test` as a user meets it: spec mistakes exit 2 with a located
//! message; a spec the database contradicts exits 1 naming table, identity and command.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The repository's demo project, with `edit` applied to one spec file.
fn demo(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sub in ["migrations", "policy_specs", "fixtures", "supabase"] {
        if root.join(sub).is_dir() {
            copy_dir(&root.join(sub), &dir.path().join(sub));
        }
    }
    edit(dir.path());
    dir
}

fn rlsgate(project: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rlsgate"))
        .arg("--project")
        .arg(project)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn replace(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_typo_exits_2_with_file_line_column() {
    let project = demo(|p| {
        replace(
            &p.join("policy_specs/chat.toml"),
            "[tables.conversations]\nauthenticated = \"own\"",
            "[tables.conversations]\nauthenticated = \"owm\"",
        )
    });
    let out = rlsgate(project.path(), &["test"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let file = project.path().join("policy_specs/chat.toml");
    let line = fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l == "authenticated = \"owm\"")
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!("--> {}:{line}:17\n", file.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{line} | authenticated = \"owm\"\n")),
        "{stderr}"
    );
    assert!(
        stderr.contains("|                 ^^^^^ not a scope"),
        "{stderr}"
    );
    assert!(stderr.contains("help: did you mean `own`?"), "{stderr}");
}

#[test]
fn an_unknown_table_exits_2_with_a_suggestion() {
    let project = demo(|p| {
        replace(
            &p.join("policy_specs/chat.toml"),
            "[tables.messages]",
            "[tables.mesages]",
        )
    });
    let out = rlsgate(project.path(), &["test"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: unknown table `mesages`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: did you mean `messages`?"),
        "{stderr}"
    );
}

#[test]
fn a_spec_the_database_contradicts_fails_the_gate() {
    let project = demo(|p| {
        replace(
            &p.join("policy_specs/chat.toml"),
            "[tables.messages]\nauthenticated = \"own\"",
            "[tables.messages]\nauthenticated = { select = \"own\", insert = \"own\", update = \"none\", delete = \"own\" }",
        )
    });
    let out = rlsgate(project.path(), &["test"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ messages · alice · update: expected none, got own"),
        "{stdout}"
    );
    assert!(stdout.contains("updated row alice"), "{stdout}");

    let out = rlsgate(project.path(), &["test", "--format", "json"]);
    let report = rlsgate::report::matrix::read(&String::from_utf8(out.stdout).unwrap()).unwrap();
    let failed: Vec<(String, &str)> = report
        .cells
        .iter()
        .filter(|c| c.outcome == rlsgate::verdict::CellOutcome::Fail)
        .map(|c| (c.identity.clone(), c.action.as_str()))
        .collect();
    assert!(
        failed.contains(&("bob".to_string(), "update")),
        "{failed:?}"
    );
    assert_eq!(report.summary.failed, failed.len());
}

#[test]
fn snapshot_writes_specs_that_pass() {
    let project = demo(|p| {
        for entry in fs::read_dir(p.join("policy_specs")).unwrap().flatten() {
            if entry.file_name() != "identities.toml" {
                fs::remove_file(entry.path()).unwrap();
            }
        }
    });
    let check = rlsgate(project.path(), &["snapshot", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8(check.stdout)
        .unwrap()
        .contains("messages · alice · select: no spec, the database does own"));
    // The demo's fixtures publish a document another user reads, and its admin reads every
    // usage row: suspicious to a run without specs, so a plain snapshot would hold them back
    // (tests/first_run.rs); this round trip accepts them.
    let write = rlsgate(project.path(), &["snapshot", "--accept-suspicious"]);
    assert_eq!(
        write.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&write.stderr)
    );
    let written = fs::read_to_string(project.path().join("policy_specs/access.toml")).unwrap();
    assert!(written.contains("[tables.messages]"), "{written}");
    let check = rlsgate(project.path(), &["snapshot", "--check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let test = rlsgate(project.path(), &["test"]);
    let stdout = String::from_utf8(test.stdout).unwrap();
    assert!(stdout.contains(" 0 failed, 0 unspecified"), "{stdout}");
}
