//! Spec, identity and fixture files with mistakes: each problem is reported at
//! `file:line:column` with the source line, a caret, and a did-you-mean.

use std::fs;
use std::path::Path;

use rlsgate::matrix::TableRef;
use rlsgate::spec::identities::load_identities_all;
use rlsgate::spec::{
    default_identities, load_fixtures, load_identities, load_specs, validate_fixtures, SpecErrors,
};

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// Rendered without colour, with the temporary directory replaced by `<project>`.
fn shown(errors: &SpecErrors, root: &Path) -> String {
    errors
        .render(false)
        .replace(&root.display().to_string(), "<project>")
}

fn tables() -> Vec<TableRef> {
    ["profiles", "conversations", "messages", "documents"]
        .into_iter()
        .map(|t| TableRef::new("public", t))
        .collect()
}

#[test]
fn bad_toml_is_located() {
    let dir = project(&[(
        "policy_specs/app.toml",
        "[tables.messages]\nauthenticated = \"own\"\nanon = none\n",
    )]);
    let errors = load_specs(&dir.path().join("policy_specs")).unwrap_err();
    let text = shown(&errors, dir.path());
    assert!(
        text.contains("<project>/policy_specs/app.toml:3:8"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn typos_in_scopes_and_commands_are_caught_while_parsing() {
    let dir = project(&[(
        "policy_specs/app.toml",
        r#"[defaults]
service = "all"

[tables.messages]
authenticated = "owm"
admin = { select = "all", insrt = "own" }
bob = { update = "any", delete = ["bob", 3] }

[tables.documents.alice]
insert = "everyone"
transfer = "no"
"#,
    )]);
    let errors = load_specs(&dir.path().join("policy_specs")).unwrap_err();
    assert_eq!(errors.len(), 6);
    let lines: Vec<String> = errors
        .iter()
        .map(|e| format!("{}:{} {}", e.line, e.column, e.message))
        .collect();
    assert_eq!(
        lines,
        [
            "5:17 unknown scope \"owm\"",
            "6:27 unknown command `insrt`",
            "7:18 unknown update scope \"any\"",
            "7:42 a row label must be a string, found an integer",
            "10:10 unknown insert scope \"everyone\"",
            "11:12 `transfer` must be true or false, found a string",
        ]
    );
    insta::assert_snapshot!(shown(&errors, dir.path()));
}

#[test]
fn unknown_tables_identities_and_labels_are_caught_by_validation() {
    let dir = project(&[
        (
            "policy_specs/app.toml",
            r#"[tables.mesages]
authenticated = "own"

[tables.documents]
alcie = "own"
authenticated = { select = ["alice", "shared_dco", "pubic"] }
"#,
        ),
        (
            "policy_specs/storage.toml",
            "[tables.\"storage.objects\"]\nservice = \"all\"\n",
        ),
    ]);
    let specs = load_specs(&dir.path().join("policy_specs")).unwrap();
    let fixtures = load_fixtures(&dir.path().join("fixtures")).unwrap();
    let errors = specs
        .validate_with(&tables(), &default_identities(), &fixtures)
        .unwrap_err();
    let text = shown(&errors, dir.path());
    assert!(text.contains("help: did you mean `messages`?"), "{text}");
    assert!(text.contains("help: did you mean `alice`?"), "{text}");
    assert!(text.contains("help: did you mean `public`?"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn fixture_labels_are_known_labels() {
    let dir = project(&[
        ("policy_specs/app.toml", "[tables.documents]\nbob = { select = [\"bob\", \"shared_doc\"] }\n"),
        (
            "fixtures/documents.toml",
            "[[rows.\"public.documents\"]]\nlabel = \"shared_doc\"\nowner = \"alice\"\nvalues = { title = \"Shared\", editor = \"{sub:bob}\" }\n",
        ),
    ]);
    let specs = load_specs(&dir.path().join("policy_specs")).unwrap();
    let fixtures = load_fixtures(&dir.path().join("fixtures")).unwrap();
    assert!(specs.validate(&tables(), &default_identities()).is_err());
    specs
        .validate_with(&tables(), &default_identities(), &fixtures)
        .unwrap();
    let bob = default_identities()
        .into_iter()
        .find(|i| i.name == "bob")
        .unwrap();
    let values = fixtures[0].resolved_values(&default_identities()).unwrap();
    assert_eq!(values["editor"], serde_json::json!(bob.sub.unwrap()));
    assert_eq!(fixtures[0].source.line, 1);
}

#[test]
fn fixture_mistakes() {
    let dir = project(&[(
        "fixtures/rows.toml",
        r#"[[rows."public.documents"]]
label = "a"
ownr = "alice"

[[rows."public.documents"]]
values = { title = "no label" }

[[rows.documents]]
label = "b"
owner = "alcie"
values = { author = "{sub:bbo}" }
"#,
    )]);
    let errors = load_fixtures(&dir.path().join("fixtures")).unwrap_err();
    let text = shown(&errors, dir.path());
    assert!(text.contains("unknown row key `ownr`"), "{text}");
    assert!(text.contains("did you mean `owner`?"), "{text}");
    assert!(text.contains("has no label"), "{text}");

    let fixed = fs::read_to_string(dir.path().join("fixtures/rows.toml"))
        .unwrap()
        .replace("ownr", "owner")
        .replace("values = { title = \"no label\" }", "label = \"a\"");
    fs::write(dir.path().join("fixtures/rows.toml"), fixed).unwrap();
    let rows = load_fixtures(&dir.path().join("fixtures")).unwrap();
    let errors = validate_fixtures(&rows, &tables(), &default_identities()).unwrap_err();
    insta::assert_snapshot!(shown(&errors, dir.path()));
}

#[test]
fn identity_mistakes() {
    let dir = project(&[(
        "policy_specs/identities.toml",
        r#"[identities.admin]
rol = "authenticated"
sub = "not-a-uuid"
claims = "admin"

[identities.public]
role = "authenticated"
"#,
    )]);
    let errors = load_identities_all(&dir.path().join("policy_specs")).unwrap_err();
    let text = shown(&errors, dir.path());
    assert!(text.contains("policy_specs/identities.toml:2:1"), "{text}");
    insta::assert_snapshot!(text);
    let first = load_identities(&dir.path().join("policy_specs")).unwrap_err();
    assert_eq!((first.line, first.column), (2, 1));
}

#[test]
fn duplicate_tables_across_files() {
    let dir = project(&[
        (
            "policy_specs/a.toml",
            "[tables.messages]\nanon = \"none\"\n",
        ),
        (
            "policy_specs/b.toml",
            "[tables.\"public.messages\"]\nanon = \"none\"\n",
        ),
    ]);
    let errors = load_specs(&dir.path().join("policy_specs")).unwrap_err();
    insta::assert_snapshot!(shown(&errors, dir.path()));
}

#[test]
fn no_colour_unless_asked() {
    let dir = project(&[(
        "policy_specs/app.toml",
        "[tables.messages]\nanon = \"nope\"\n",
    )]);
    let errors = load_specs(&dir.path().join("policy_specs")).unwrap_err();
    assert!(!errors.render(false).contains('\u{1b}'));
    assert!(errors.render(true).contains('\u{1b}'));
}

#[test]
fn repeated_defaults_must_agree() {
    let dir = project(&[
        (
            "policy_specs/a.toml",
            "[defaults]\nservice = \"all\"\nanon = \"none\"\n",
        ),
        (
            "policy_specs/b.toml",
            "[defaults]\nservice = \"all\"\nanon = { select = \"all\" }\n",
        ),
    ]);
    let errors = load_specs(&dir.path().join("policy_specs")).unwrap_err();
    assert_eq!(errors.len(), 1);
    insta::assert_snapshot!(shown(&errors, dir.path()));
    fs::write(
        dir.path().join("policy_specs/b.toml"),
        "[defaults]\nservice = \"all\"\n",
    )
    .unwrap();
    load_specs(&dir.path().join("policy_specs")).unwrap();
}

#[test]
fn owner_mistakes() {
    let dir = project(&[(
        "policy_specs/app.toml",
        "[defaults]\nowner = \"user_id\"\n\n[tables.messages]\nownr = \"author_id\"\n",
    )]);
    let errors = load_specs(&dir.path().join("policy_specs")).unwrap_err();
    insta::assert_snapshot!(shown(&errors, dir.path()));
}

#[test]
fn defaults_may_name_any_fixture_label() {
    let dir = project(&[
        ("policy_specs/app.toml", "[defaults]\nauthenticated = { select = [\"shared_doc\"] }\n\n[tables.messages]\nbob = { select = [\"shared_doc\"] }\n"),
        ("fixtures/documents.toml", "[[rows.documents]]\nlabel = \"shared_doc\"\nowner = \"bob\"\n"),
    ]);
    let specs = load_specs(&dir.path().join("policy_specs")).unwrap();
    let fixtures = load_fixtures(&dir.path().join("fixtures")).unwrap();
    let errors = specs
        .validate_with(&tables(), &default_identities(), &fixtures)
        .unwrap_err();
    let lines: Vec<(usize, &str)> = errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    assert_eq!(
        lines,
        [(5, "unknown row label `shared_doc`")],
        "a label of documents is unknown on messages"
    );
}
