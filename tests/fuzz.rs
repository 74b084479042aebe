//! `rlsgate fuzz` and the fuzz library through proptest: the demo holds; a policy that trusts
//! a claim the user controls is found, shrunk and reproduced.

mod common;

use std::path::Path;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rlsgate::cli::{ColorChoice, GlobalArgs};
use rlsgate::commands::mutate::Setup;
use rlsgate::fuzz::{case_strategy, check_case};
use rlsgate::probe::ProbeConnection;
use rlsgate::terminal::Progress;

/// The demo with one more migration.
fn demo_with(sql: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in ["migrations", "policy_specs", "fixtures"] {
        copy_dir(&common::repo().join(entry), &dir.path().join(entry));
    }
    std::fs::write(
        dir.path().join("migrations/20990101000000_planted.sql"),
        sql,
    )
    .unwrap();
    dir
}

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

#[test]
fn the_demo_holds_for_proptest_generated_cases() {
    let global = GlobalArgs {
        project: common::repo(),
        db_url: None,
        no_cache: false,
        color: ColorChoice::Never,
        quiet: true,
        probe_timeout: None,
        migration_timeout: None,
        call_timeout: None,
    };
    let mut setup = Setup::open(&global, false, &Progress::hidden()).expect("open the demo");
    let prepared = setup.prepare(2).expect("prepare");
    let mut conn = ProbeConnection::open(&setup.db)
        .expect("connect")
        .expect("own cluster");
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 24,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let conn = std::cell::RefCell::new(&mut conn);
    let result = runner.run(&case_strategy(), |case| {
        let tables: Vec<_> = prepared.rows.iter().map(|r| r.table.clone()).collect();
        match check_case(
            conn.borrow_mut().client(),
            &prepared,
            &setup.specs,
            &tables,
            &case,
        ) {
            Ok(None) => Ok(()),
            Ok(Some(v)) => Err(TestCaseError::fail(format!("{v:#?}"))),
            Err(e) => Err(TestCaseError::fail(format!("could not run the case: {e}"))),
        }
    });
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn the_cli_passes_on_the_demo() {
    let out = common::run(&["fuzz", "--cases", "8", "--seed", "3"], &common::repo());
    let (stdout, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("8 cases (seed 3): isolation, claim tampering and anon hold; "),
        "{stdout}"
    );
}

#[test]
fn a_policy_trusting_user_metadata_is_found_shrunk_and_reproduced() {
    let project = demo_with(
        "create policy \"Metadata admins read all usage\" on public.api_usage for select to authenticated\n\
         using ((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');\n",
    );
    let out = common::run(
        &[
            "fuzz",
            "--cases",
            "64",
            "--seed",
            "1",
            "--table",
            "api_usage",
        ],
        project.path(),
    );
    let (stdout, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("property `claim tampering` fails"),
        "{stdout}"
    );
    assert!(
        stdout.contains("in api_usage; the spec allows select = own"),
        "{stdout}"
    );
    assert!(
        stdout.contains("user_metadata.role = \"admin\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("run on its own, it reaches the row again"),
        "{stdout}"
    );
    assert!(stdout.contains("set local role authenticated;"), "{stdout}");
    assert!(
        stdout.contains("select * from public.api_usage as t where"),
        "{stdout}"
    );
}

#[test]
fn an_isolation_hole_only_random_users_reach_is_found() {
    // Alice and Bob's fixed ids happen to be ordered so that `test` cannot tell; generated
    // users can.
    let project = demo_with(
        "drop policy \"Users can view their own conversations\" on public.conversations;\n\
         create policy \"Users can view their own conversations\" on public.conversations\n\
         for select to authenticated using (owner_id::text like left((select auth.uid())::text, 1) || '%');\n",
    );
    let test = common::run(&["test", "--table", "conversations"], project.path());
    assert_eq!(test.status.code(), Some(0), "{}", common::text(&test).0);
    let out = common::run(
        &[
            "fuzz",
            "--cases",
            "64",
            "--seed",
            "2",
            "--table",
            "conversations",
        ],
        project.path(),
    );
    let (stdout, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("fails"), "{stdout}");
    assert!(stdout.contains("in conversations"), "{stdout}");
    assert!(stdout.contains("begin;"), "{stdout}");
    assert!(stdout.contains("rollback;"), "{stdout}");
}
