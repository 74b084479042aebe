//! `rlsgate test --partition K/N` on N CI runners, then `rlsgate merge`: the shares cover
//! every cell of the whole run exactly once, and the merged verdict is the whole run's.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rlsgate::report::matrix::{read, Report};

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

/// The demo with two planted regressions (a widened read policy, RLS off on api_keys), so
/// the verdict has failed cells as well as passing ones.
fn broken_demo() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sub in ["migrations", "policy_specs", "fixtures"] {
        copy_dir(&root.join(sub), &dir.path().join(sub));
    }
    for (i, regression) in ["02_widen_documents_using", "04_disable_rls_api_keys"]
        .iter()
        .enumerate()
    {
        fs::copy(
            root.join("regressions").join(format!("{regression}.sql")),
            dir.path()
                .join("migrations")
                .join(format!("2099010100000{i}_{regression}.sql")),
        )
        .unwrap();
    }
    dir
}

fn rlsgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rlsgate"))
        .args(args)
        .env_remove("RLSGATE_DB_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn test_json(project: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--project",
        project.to_str().unwrap(),
        "--quiet",
        "test",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    rlsgate(&args)
}

fn load(path: &Path) -> Report {
    read(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Cells as comparable rows: everything but the free-text detail of how a probe ran.
fn rows(report: &Report) -> Vec<String> {
    report
        .cells
        .iter()
        .map(|c| {
            format!(
                "{} · {} · {} · expected {} · actual {} · {}",
                c.subject,
                c.identity,
                c.action.as_str(),
                c.expected,
                c.actual,
                c.outcome.as_str()
            )
        })
        .collect()
}

#[test]
fn three_shares_cover_the_whole_run_and_merge_into_its_verdict() {
    let project = broken_demo();
    let scratch = tempfile::tempdir().unwrap();
    let whole_path = scratch.path().join("whole.json");
    let whole_out = test_json(project.path(), &whole_path, &[]);
    assert_eq!(
        whole_out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&whole_out.stderr)
    );
    let whole = load(&whole_path);
    assert!(whole.summary.failed > 0 && whole.summary.passed > 0);

    let mut shares: Vec<PathBuf> = Vec::new();
    let mut union: Vec<String> = Vec::new();
    let mut tables_seen = std::collections::BTreeMap::new();
    let mut exit_codes = Vec::new();
    for k in 1..=3 {
        let path = scratch.path().join(format!("share{k}.json"));
        let out = test_json(project.path(), &path, &["--partition", &format!("{k}/3")]);
        let share = load(&path);
        let findings = share.summary.failed
            + share.summary.inconclusive
            + share.summary.unspecified
            + share.meta.lint.iter().filter(|f| f.is_error()).count();
        assert_eq!(
            out.status.code(),
            Some(if findings > 0 { 1 } else { 0 }),
            "share {k}/3"
        );
        exit_codes.push(out.status.code());
        assert_eq!(share.meta.partition.as_deref(), Some(&*format!("{k}/3")));
        assert!(!share.cells.is_empty(), "share {k}/3 is empty");
        assert_eq!(
            share.functions.is_empty(),
            k != 1,
            "function cells are judged in share 1 only"
        );
        for cell in &share.cells {
            let previous = tables_seen.insert(cell.subject.to_string(), k);
            assert!(
                previous.is_none_or(|p| p == k),
                "{} is in shares {} and {k}",
                cell.subject,
                previous.unwrap()
            );
        }
        union.extend(rows(&share));
        shares.push(path);
    }
    assert!(exit_codes.contains(&Some(1)), "{exit_codes:?}");

    let mut expected = rows(&whole);
    expected.sort();
    union.sort();
    assert_eq!(union, expected);

    let merged_path = scratch.path().join("merged.json");
    let mut args = vec!["merge", "--format", "json", "--output"];
    args.push(merged_path.to_str().unwrap());
    args.extend(shares.iter().rev().map(|p| p.to_str().unwrap()));
    let merged_out = rlsgate(&args);
    assert_eq!(
        merged_out.status.code(),
        whole_out.status.code(),
        "{}",
        String::from_utf8_lossy(&merged_out.stderr)
    );
    let merged = load(&merged_path);
    assert_eq!(merged.summary, whole.summary);
    assert_eq!(rows(&merged), rows(&whole), "same cells in the same order");
    assert!(!whole.functions.is_empty());
    assert_eq!(merged.functions, whole.functions, "each function cell once");
    assert_eq!(merged.meta.partition, None);
    assert_eq!(
        merged.meta.lint, whole.meta.lint,
        "each catalog finding once"
    );

    let human = rlsgate(&[
        "merge",
        shares[0].to_str().unwrap(),
        shares[1].to_str().unwrap(),
        shares[2].to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert_eq!(human.status.code(), Some(1));
    assert!(
        text.contains(&whole.summary.to_string()),
        "the table view ends with the whole run's summary line:\n{text}"
    );

    let missing = rlsgate(&[
        "merge",
        shares[0].to_str().unwrap(),
        shares[2].to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("missing share 2/3"), "{err}");

    let twice = rlsgate(&[
        "merge",
        whole_path.to_str().unwrap(),
        whole_path.to_str().unwrap(),
    ]);
    assert_eq!(twice.status.code(), Some(2));
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(err.contains("is judged in both"), "{err}");
}

#[test]
fn a_partition_outside_one_to_n_is_refused() {
    for bad in ["0/3", "4/3", "1/0", "2", "a/b"] {
        let out = rlsgate(&["test", "--partition", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not K/N"), "{bad}: {err}");
    }
}
