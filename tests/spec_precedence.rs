//! Which declaration applies: identity > role group > "*" in the table, then the same three
//! in [defaults]; each command on its own.

use rlsgate::matrix::{InsertScope, Scope, TableRef};
use rlsgate::spec::{default_identities, Identity, OwnerSpec, Specs};

fn who(name: &str) -> Identity {
    default_identities()
        .into_iter()
        .find(|i| i.name == name)
        .unwrap()
}

fn t(name: &str) -> TableRef {
    TableRef::new("public", name)
}

const SPEC: &str = r#"
[defaults]
"*" = "none"
authenticated = { select = "own" }
bob = { delete = "all" }

[tables.notes]
owner = "author_id"
"*" = { insert = "deny" }
authenticated = "own"
admin = { select = "all" }

[tables.notes.alice]
update = ["alice", "public"]

[tables."audit.events"]
owner = false
service = "all"

[tables.chunks]
owner = "via document_id"
"#;

#[test]
fn identity_beats_group_beats_everyone() {
    let specs = Specs::parse_str("p.toml", SPEC).unwrap();
    let admin = specs.expectation(&t("notes"), &who("admin")).unwrap();
    assert_eq!(admin.select, Some(Scope::All));
    assert_eq!(
        admin.insert,
        Some(InsertScope::Own),
        "from the authenticated group"
    );
    assert_eq!(admin.update, Some(Scope::Own));
    assert_eq!((admin.source.line, admin.source.column), (11, 1));
    assert_eq!(
        admin.command_source(rlsgate::matrix::Command::Insert).line,
        10
    );

    let alice = specs.expectation(&t("notes"), &who("alice")).unwrap();
    assert_eq!(
        alice.update,
        Some(Scope::Labels(["alice".into(), "public".into()].into()))
    );
    assert_eq!(alice.select, Some(Scope::Own));

    let anon = specs.expectation(&t("notes"), &who("anon")).unwrap();
    assert_eq!(anon.insert, Some(InsertScope::Deny), "table \"*\"");
    assert_eq!(anon.select, Some(Scope::None), "defaults \"*\"");
}

#[test]
fn defaults_apply_to_tables_no_spec_names() {
    let specs = Specs::parse_str("p.toml", SPEC).unwrap();
    let bob = specs.expectation(&t("unlisted"), &who("bob")).unwrap();
    assert_eq!(bob.delete, Some(Scope::All), "defaults identity");
    assert_eq!(bob.select, Some(Scope::Own), "defaults role group");
    assert_eq!(
        bob.insert,
        Some(InsertScope::Deny),
        "defaults \"*\" (none means deny)"
    );
    assert_eq!(bob.transfer, None);
    assert!(Specs::parse_str("p.toml", "")
        .unwrap()
        .expectation(&t("x"), &who("bob"))
        .is_none());
}

#[test]
fn owners_and_schemas() {
    let specs = Specs::parse_str("p.toml", SPEC).unwrap();
    assert_eq!(specs.owner_override(&t("notes")), Some("author_id"));
    assert_eq!(
        specs.owner_spec(&t("chunks")),
        Some(&OwnerSpec::Via("document_id".into()))
    );
    assert_eq!(specs.owner_override(&t("chunks")), None);
    let events = TableRef::new("audit", "events");
    assert_eq!(specs.owner_spec(&events), Some(&OwnerSpec::Nobody));
    assert_eq!(
        specs.expectation(&events, &who("service")).unwrap().update,
        Some(Scope::All)
    );
    let tables: Vec<String> = specs.tables().map(|t| t.to_string()).collect();
    assert_eq!(tables, ["audit.events", "public.chunks", "public.notes"]);
}

#[test]
fn transfer_default_follows_update() {
    let specs = Specs::parse_str("p.toml", "[tables.a]\nalice = \"all\"\nbob = { update = \"all\", transfer = false }\nadmin = \"own\"\n").unwrap();
    let e = |n| specs.expectation(&t("a"), &who(n)).unwrap();
    assert!(e("alice").expects_transfer());
    assert!(!e("bob").expects_transfer());
    assert!(!e("admin").expects_transfer());
}
