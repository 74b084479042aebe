//! Names Postgres reserves are quoted: a table whose owner column is `user` probes like any
//! other, and mutation testing on it kills what it should.

use crate::{common, json, reserved_word_project};

#[test]
fn reserved_word_columns_probe_conclusively_and_their_mutants_die() {
    let project = reserved_word_project();
    let out = common::run(&["test", "--format", "json"], project.path());
    let report = json(&out);
    assert_eq!(
        report["summary"]["inconclusive"], 0,
        "{:#}",
        report["cells"]
    );
    assert_eq!(report["summary"]["passed"], report["summary"]["cells"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out).1);

    let out = common::run(&["mutate", "--format", "json"], project.path());
    let report = json(&out);
    assert_eq!(report["summary"]["inconclusive"], 0, "{report:#}");
    let status = |kind: &str, subject: &str| -> Vec<String> {
        report["mutants"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == kind && m["subject"].as_str().unwrap().contains(subject))
            .map(|m| m["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(status("disable-rls", "posts"), ["killed"], "{report:#}");
    assert_eq!(status("using-true", "read own"), ["killed"], "{report:#}");
    assert_eq!(status("using-true", "remove own"), ["killed"], "{report:#}");
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out).1);
}
