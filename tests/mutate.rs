//! `rlsgate mutate`: every mutant of the demo is killed or provably unobservable; a spec
//! that leaves cells open lets mutants survive, each shown with the cell that would catch it.

mod common;

use std::path::Path;

use serde_json::Value;

fn copy_dir(from: &Path, to: &Path) {
    if !from.is_dir() {
        return;
    }
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn json(out: &std::process::Output) -> Value {
    let (stdout, stderr) = common::text(out);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"))
}

#[test]
fn every_mutant_of_the_demo_is_killed_or_equivalent() {
    let out = common::run(&["mutate", "--format", "json"], &common::repo());
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out).1);
    let report = json(&out);
    let s = &report["summary"];
    let total = s["total"].as_u64().unwrap();
    assert_eq!(s["survived"], 0, "{:#}", report["survivors"]);
    assert_eq!(s["invalid"], 0);
    assert_eq!(
        s["killed"].as_u64().unwrap() + s["equivalent"].as_u64().unwrap(),
        total
    );
    assert_eq!(report["baseline"]["failed"], 0);
    let mutants = report["mutants"].as_array().unwrap();
    assert_eq!(mutants.len() as u64, total);
    // Every kind that the demo has something to mutate for is generated, and killed at least once.
    for kind in [
        "drop-policy",
        "using-true",
        "check-true",
        "flip-equality",
        "disable-rls",
        "helper-true",
    ] {
        assert!(
            mutants
                .iter()
                .any(|m| m["kind"] == kind && m["status"] == "killed"),
            "no killed {kind} mutant"
        );
    }
    // A DELETE policy widened to every row is invisible to key-filtered probes (the filter
    // brings in the SELECT policies); the unfiltered DELETE probe reaches other users' rows,
    // so the matrix itself kills it.
    let widened = mutants
        .iter()
        .find(|m| {
            m["sql"]
                == "alter policy \"Users can delete their own conversations\" on public.conversations using (true)"
        })
        .expect("the mutant exists");
    assert_eq!(widened["status"], "killed", "{widened:#}");
    let cell = &widened["cell"];
    assert_eq!(
        (
            cell["command"].as_str(),
            cell["before"].as_str(),
            cell["after"].as_str()
        ),
        (Some("delete"), Some("own"), Some("all")),
        "{widened:#}"
    );
    // An UPDATE policy whose USING is widened while its WITH CHECK still pins the owner
    // changes nothing the matrix can see: the statement without a filter fails its check on
    // other users' rows, so the per-row probes decide, as in `rlsgate test` (a pass that
    // keeps only some commands' probes must not lose track of which probe covers which).
    let pinned = mutants
        .iter()
        .find(|m| {
            m["sql"]
                == "alter policy \"Users can rename their own api keys\" on public.api_keys using (true)"
        })
        .expect("the mutant exists");
    assert_eq!(pinned["status"], "equivalent", "{pinned:#}");
    // Dropping any policy is always caught, and a killed mutant names a failing cell.
    for m in mutants.iter().filter(|m| m["kind"] == "drop-policy") {
        assert_eq!(m["status"], "killed", "{m:#}");
        assert_eq!(m["cell"]["outcome"], "fail", "{m:#}");
        assert_ne!(m["cell"]["before"], m["cell"]["after"], "{m:#}");
    }
}

#[test]
fn an_open_spec_lets_mutants_survive_and_names_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    for entry in ["migrations", "policy_specs", "fixtures"] {
        copy_dir(&common::repo().join(entry), &dir.path().join(entry));
    }
    // The api_keys entries removed: only the [defaults] (anon, service) still cover the table.
    let api = dir.path().join("policy_specs/api.toml");
    let text = std::fs::read_to_string(&api).unwrap();
    let cut = text.find("[tables.api_keys]").unwrap();
    std::fs::write(&api, &text[..cut]).unwrap();

    let out = common::run(
        &["mutate", "--format", "json", "--table", "api_keys"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out).1);
    let report = json(&out);
    let survivors = report["survivors"].as_array().unwrap();
    assert!(!survivors.is_empty());
    assert_eq!(
        report["summary"]["survived"].as_u64().unwrap() as usize,
        survivors.len()
    );
    for s in survivors {
        assert_eq!(s["status"], "survived");
        assert_eq!(s["cell"]["table"]["name"], "api_keys", "{s:#}");
        assert_eq!(s["cell"]["expected"], "unspecified", "{s:#}");
        assert_ne!(s["cell"]["before"], s["cell"]["after"], "{s:#}");
    }

    let out = common::run(&["mutate", "--table", "api_keys"], dir.path());
    let (stdout, _) = common::text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("survived (the specs do not notice; each is a gap):"),
        "{stdout}"
    );
    assert!(
        stdout.contains("would be caught by api_keys × "),
        "{stdout}"
    );
    assert!(stdout.contains("spec says unspecified"), "{stdout}");
}

#[test]
fn a_prelude_that_lost_a_lock_race_is_re_run_not_counted() {
    use rlsgate::matrix::Outcome;
    let lost = Outcome::Inconclusive {
        sqlstate: "setup".into(),
        message: "probe prelude failed (40P01): deadlock detected".into(),
    };
    assert!(lost.is_lock_conflict());
    let other = Outcome::Inconclusive {
        sqlstate: "setup".into(),
        message: "probe prelude failed (23503): violates foreign key".into(),
    };
    assert!(!other.is_lock_conflict());
}
