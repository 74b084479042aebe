//! rlsgate as a person meets it on the way into CI: output that fits an 80-column terminal,
//! help, completions, man pages, and `rlsgate init`. (SARIF, annotations and JUnit: sarif.rs.)

mod common;

use common::{copy_dir, repo, run_in as rlsgate, stderr, stdout};
use std::path::Path;
use std::process::Output;

/// Lines wider than `width` characters, but for a single unbreakable word (a URL).
fn too_wide(text: &str, width: usize) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > width && l.split_whitespace().count() > 1)
        .map(String::from)
        .collect()
}

fn at_80_columns(dir: &Path, args: &[&str]) -> Output {
    common::bin()
        .current_dir(dir)
        .args(args)
        .env("COLUMNS", "80")
        .output()
        .expect("run rlsgate")
}

#[test]
fn rule_and_test_fit_80_columns() {
    let o = at_80_columns(&repo(), &["rule"]);
    assert_eq!(too_wide(&stdout(&o), 80), Vec::<String>::new());
    for line in stdout(&o).lines() {
        let Some(id) = line.split_whitespace().next().filter(|w| w.contains('-')) else {
            continue;
        };
        if line.starts_with(' ') {
            continue;
        }
        let o = at_80_columns(&repo(), &["rule", id]);
        assert_eq!(o.status.code(), Some(0), "rule {id}");
        assert_eq!(too_wide(&stdout(&o), 80), Vec::<String>::new(), "rule {id}");
    }
    let o = at_80_columns(&repo().join("examples/agent-creator"), &["test"]);
    let out = stdout(&o);
    assert!(out.contains("catalog lint: 1 error(s)"), "{out}");
    assert_eq!(too_wide(&out, 80), Vec::<String>::new());
    // Without COLUMNS and not on a terminal: 100 columns at most.
    let o = rlsgate(&repo().join("examples/agent-creator"), &["test"]);
    assert_eq!(too_wide(&stdout(&o), 100), Vec::<String>::new());
}

#[test]
fn mutate_fits_80_columns() {
    let o = at_80_columns(&repo(), &["mutate", "--table", "api_keys"]);
    let out = stdout(&o);
    assert!(out.contains("mutants,"), "{out}{}", stderr(&o));
    assert_eq!(too_wide(&out, 80), Vec::<String>::new());
}

#[test]
fn help_shows_examples_formats_and_fail_on_values() {
    let o = rlsgate(&repo(), &["--help"]);
    assert!(
        stdout(&o).contains("Examples:\n  rlsgate init"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains(env!("CARGO_PKG_REPOSITORY")));
    let o = rlsgate(&repo(), &["lint", "--help"]);
    let help = stdout(&o);
    for needle in [
        "sarif:  SARIF 2.1.0 for GitHub code scanning",
        "never:   Never: report only",
        "rlsgate lint --baseline",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
    let o = rlsgate(&repo(), &["test", "--help"]);
    for needle in [
        "junit:    JUnit XML",
        "sarif:    SARIF 2.1.0 for GitHub code scanning",
        "github:   GitHub Actions annotations",
        "--also <FORMAT=FILE>",
    ] {
        assert!(stdout(&o).contains(needle), "{needle}: {}", stdout(&o));
    }
    let o = rlsgate(&repo(), &["lint", "--fail-on", "warn", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "`warn` is an alias: {}",
        stderr(&o)
    );
}

#[test]
fn completions_and_man_pages() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = rlsgate(&repo(), &["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let script = stdout(&o);
        assert!(
            script.contains("rlsgate") && script.contains("snapshot"),
            "{shell}"
        );
    }
    let o = rlsgate(&repo(), &["completions", "bash"]);
    assert!(stdout(&o).contains("--fail-on"));
    let o = rlsgate(&repo(), &["man"]);
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH rlsgate 1"),
        "{page}"
    );
    assert!(page.contains(".TH rlsgate 1"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let o = rlsgate(&repo(), &["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for page in [
        "rlsgate.1",
        "rlsgate-test.1",
        "rlsgate-lint.1",
        "rlsgate-cache-clear.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_default();
        assert!(text.contains(".TH"), "{page}: {text}");
    }
    let test_page = std::fs::read_to_string(dir.path().join("rlsgate-test.1")).unwrap();
    assert!(test_page.contains("partition"), "{test_page}");
}

#[test]
fn init_writes_specs_config_and_a_workflow_then_test_passes() {
    let dir = tempfile::tempdir().unwrap();
    // Without the demo's fixtures: with them, bob's public document is a row another user
    // reads, which init holds back as suspicious (tests/first_run.rs covers that path).
    copy_dir(&repo().join("migrations"), &dir.path().join("migrations"));
    let o = rlsgate(dir.path(), &["init"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("wrote policy_specs/access.toml") || out.contains("access.toml"),
        "{out}"
    );
    assert!(out.contains("uses: rlsgate/rlsgate@v0"), "{out}");
    let config = std::fs::read_to_string(dir.path().join("rlsgate.toml")).unwrap();
    for key in ["exposed_schemas", "disable", "[lint.severity]"] {
        assert!(config.contains(key), "{key}: {config}");
    }
    let specs = std::fs::read_to_string(dir.path().join("policy_specs/access.toml")).unwrap();
    assert!(specs.contains("[tables.conversations]"), "{specs}");

    let o = rlsgate(dir.path(), &["test"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = rlsgate(dir.path(), &["lint"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "rlsgate.toml parses: {}",
        stderr(&o)
    );

    let o = rlsgate(dir.path(), &["init"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`rlsgate snapshot` updates them"),
        "{}",
        stderr(&o)
    );
}
