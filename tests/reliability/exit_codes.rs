//! One exit-code policy: 0 only for a clean verdict fully written, 1 on findings whatever
//! happens to stdout, 2 when the tool could not run or could not deliver a clean report.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use crate::{common, failing_project, reserved_word_project};

fn test_cmd(project: &std::path::Path, format: &str) -> Command {
    let mut cmd = common::bin();
    cmd.arg("--project")
        .arg(project)
        .args(["test", "--format", format])
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn a_failing_gate_exits_1_whatever_happens_to_its_stdout() {
    let project = failing_project();
    for format in ["human", "json"] {
        // `rlsgate test | head -1`
        let mut gate = test_cmd(project.path(), format)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let head = Command::new("head")
            .arg("-1")
            .stdin(Stdio::from(gate.stdout.take().unwrap()))
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        assert!(head.status.success());
        let out = gate.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "| head -1 ({format}): {}",
            common::text(&out).1
        );

        // `rlsgate test | true`: the reader is gone before the first byte.
        let mut gate = test_cmd(project.path(), format)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        drop(gate.stdout.take());
        let out = gate.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "| true ({format}): {}",
            common::text(&out).1
        );

        // stdout closed outright (`>&-`).
        let mut cmd = test_cmd(project.path(), format);
        // SAFETY: close(2) in the child before exec; nothing else runs there.
        unsafe {
            cmd.pre_exec(|| {
                libc::close(1);
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            ">&- ({format}): {}",
            common::text(&out).1
        );
    }
}

#[test]
fn a_clean_gate_whose_report_is_cut_off_never_exits_0() {
    let project = reserved_word_project();
    let out = test_cmd(project.path(), "human").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out).1);

    let mut gate = test_cmd(project.path(), "human")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    drop(gate.stdout.take());
    let out = gate.wait_with_output().unwrap();
    let (_, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stdout was closed"), "{stderr}");
}
