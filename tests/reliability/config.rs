//! Mistakes in what a person gives rlsgate are located errors (exit 2) with a way out, and
//! values substituted into SQL stay values.

use crate::{common, json, write_spec};

const NOTES: &str =
    "create table public.notes (id bigint generated always as identity primary key, \
                     owner_id uuid references auth.users (id), body text);\n\
                     alter table public.notes enable row level security;\n";

#[test]
fn an_identity_with_a_role_the_database_lacks_is_a_located_error() {
    let project = common::project(&[("001_notes.sql", NOTES)]);
    write_spec(
        project.path(),
        "identities.toml",
        "[identities.moderator]\nrole = \"authenticted\"\n",
    );
    let out = common::run(&["test"], project.path());
    let (_, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("identities.toml:2:8"), "{stderr}");
    assert!(stderr.contains("did you mean `authenticated`?"), "{stderr}");
}

#[test]
fn a_quote_in_an_email_stays_inside_its_setup_value() {
    let project = common::project(&[(
        "001_notes.sql",
        &format!("{NOTES}create table public.seen (who text, email text);\n"),
    )]);
    write_spec(
        project.path(),
        "identities.toml",
        "[identities.obrien]\nrole = \"authenticated\"\nemail = \"o'brien@example.test'); drop table public.notes; --\"\n\
         setup = [\"insert into public.seen values ({name}, '{email}')\"]\n",
    );
    let out = common::run(
        &["test", "--allow-unspecified", "--format", "json"],
        project.path(),
    );
    let report = json(&out);
    let notes = report["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["table"].to_string().contains("notes"))
        .count();
    assert!(notes > 0, "public.notes was dropped: {report:#}");
    assert_ne!(out.status.code(), Some(2), "{}", common::text(&out).1);
}

#[test]
fn a_byte_order_mark_gets_a_hint() {
    let project = common::project(&[("001_notes.sql", &format!("\u{feff}{NOTES}"))]);
    let out = common::run(&["test"], project.path());
    let (_, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("001_notes.sql:1:1"), "{stderr}");
    assert!(stderr.contains("byte order mark"), "{stderr}");
}

#[test]
fn an_unreachable_db_url_names_the_operating_systems_cause() {
    let project = common::project(&[("001_notes.sql", NOTES)]);
    let out = common::run(
        &[
            "--db-url",
            "postgresql://postgres@127.0.0.1:1/postgres",
            "test",
        ],
        project.path(),
    );
    let (_, stderr) = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
}
