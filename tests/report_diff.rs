//! `rlsgate diff OLD.json NEW.json`: what a reviewer reads on a pull request.

mod common;

use std::path::{Path, PathBuf};

fn cell(table: &str, identity: &str, command: &str, actual: &str) -> serde_json::Value {
    serde_json::json!({
        "table": table, "identity": identity, "command": command,
        "expected": actual, "actual": actual, "outcome": "pass", "detail": "", "probes": []
    })
}

fn report(cells: Vec<serde_json::Value>) -> String {
    let n = cells.len();
    serde_json::json!({
        "version": 1,
        "meta": { "rlsgate": "0.1.0", "project": "." },
        "cells": cells,
        "summary": { "cells": n, "passed": n, "failed": 0, "unspecified": 0, "inconclusive": 0 }
    })
    .to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn diff(old: &Path, new: &Path, format: &str) -> (Option<i32>, String, String) {
    let out = common::bin()
        .args([
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            format,
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = common::text(&out);
    (out.status.code(), stdout, stderr)
}

#[test]
fn a_widening_reads_like_a_review_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(
        dir.path(),
        "old.json",
        &report(vec![
            cell("public.profiles", "anon", "select", "none"),
            cell("public.profiles", "guest", "select", "none"),
            cell("public.profiles", "alice", "update", "own"),
            cell("public.notes", "alice", "select", "own"),
            cell("public.notes", "bob", "insert", "own"),
        ]),
    );
    let new = write(
        dir.path(),
        "new.json",
        &report(vec![
            cell("public.profiles", "anon", "select", "all"),
            cell("public.profiles", "guest", "select", "all"),
            cell("public.profiles", "alice", "update", "own+transfer"),
            cell("public.notes", "alice", "select", "none"),
            cell("public.notes", "bob", "insert", "inconclusive"),
            cell("public.audit", "anon", "select", "{public}"),
        ]),
    );
    let (code, human, _) = diff(&old, &new, "human");
    assert_eq!(code, Some(1), "a widening fails the check");
    insta::assert_snapshot!("diff_human", human);
    let (_, markdown, _) = diff(&old, &new, "markdown");
    insta::assert_snapshot!("diff_markdown", markdown);
    let (_, json, _) = diff(&old, &new, "json");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["widened"], 4);
    assert_eq!(json["narrowed"], 1);
    assert_eq!(json["changed"], 1);

    let (code, human, _) = diff(&new, &old, "human");
    assert_eq!(code, Some(1), "the reverse widens alice's notes: {human}");
    let (code, human, _) = diff(&old, &old, "human");
    assert_eq!(code, Some(0));
    assert_eq!(human, "no access changed\n");
}

#[test]
fn only_narrowing_passes() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(
        dir.path(),
        "old.json",
        &report(vec![cell("public.notes", "anon", "select", "all")]),
    );
    let new = write(
        dir.path(),
        "new.json",
        &report(vec![cell("public.notes", "anon", "select", "none")]),
    );
    let (code, human, _) = diff(&old, &new, "human");
    assert_eq!(code, Some(0));
    assert_eq!(
        human,
        "- anon can no longer read any row of notes (was: all)\n\n0 widened, 1 narrowed, 0 changed\n"
    );
}

#[test]
fn not_a_report_is_an_error_the_user_can_act_on() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.json", "{\"cells\": 3}");
    let (code, _, stderr) = diff(&bad, &bad, "human");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("bad.json: expected the output of `rlsgate test --format json`"),
        "{stderr}"
    );
}

#[test]
fn a_planted_regression_shows_as_widened_between_two_real_runs() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("changed");
    for entry in ["migrations", "policy_specs", "fixtures"] {
        copy_dir(&repo.join(entry), &changed.join(entry));
    }
    std::fs::copy(
        repo.join("regressions/04_disable_rls_api_keys.sql"),
        changed.join("migrations/20991231000000_regression.sql"),
    )
    .unwrap();
    let run = |project: &Path, name: &str| {
        let out = common::run(&["-q", "test", "--format", "json"], project);
        write(dir.path(), name, &String::from_utf8(out.stdout).unwrap())
    };
    let (old, new) = (run(&repo, "main.json"), run(&changed, "pr.json"));
    let (code, markdown, _) = diff(&old, &new, "markdown");
    assert_eq!(code, Some(1), "{markdown}");
    assert!(
        markdown.contains("anon, guest can now read all rows of api_keys (was: none)"),
        "{markdown}"
    );
    assert!(!markdown.contains("messages"), "{markdown}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
