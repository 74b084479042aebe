//! Unit tests of the `[functions]` parser.

use super::*;
use crate::spec::{default_identities, Specs};

fn function(name: &str, args: &str, signature_args: &str) -> FunctionAccess {
    FunctionAccess {
        function: FunctionRef {
            schema: "public".into(),
            name: name.into(),
            args: args.into(),
        },
        signature: format!("{name}({signature_args})"),
        security_definer: true,
        search_path_pinned: true,
        dynamic_sql: false,
        returns_trigger: false,
        callable: true,
        public_execute: false,
        execute: BTreeMap::new(),
    }
}

/// `identity: allow|deny|-` for every default identity.
fn verdicts(specs: &str, f: &FunctionAccess) -> String {
    let specs = Specs::parse_str("s.toml", specs).unwrap();
    default_identities()
        .iter()
        .map(|i| {
            let word = match specs.functions().expectation(f, i) {
                Some(e) if e.allow => "allow",
                Some(_) => "deny",
                None => "-",
            };
            format!("{}: {word}", i.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn keys_name_functions_overloads_and_schemas() {
    let key = |s: &str| FunctionKey::parse(s).unwrap();
    assert_eq!(key("f").text(), "f");
    assert_eq!(key("billing.charge").schema, "billing");
    assert_eq!(key("f( uuid ,  Text )").args.as_deref(), Some("uuid, text"));
    assert_eq!(key("billing.f(a.b)").text(), "billing.f(a.b)");
    assert_eq!(key("f()").args.as_deref(), Some(""));
    assert!(FunctionKey::parse("f(uuid").is_none());
    assert!(FunctionKey::parse(".f").is_none());

    let f = function("promote_user", "uuid", "target uuid");
    assert!(key("promote_user").matches(&f));
    assert!(key("promote_user(uuid)").matches(&f));
    assert!(key("promote_user(target uuid)").matches(&f));
    assert!(!key("promote_user(text)").matches(&f));
    assert!(!key("other.promote_user").matches(&f));
}

#[test]
fn a_list_is_complete_and_role_groups_stand_for_their_identities() {
    let f = function("f", "", "");
    assert_eq!(
        verdicts("[functions]\nf = [\"authenticated\", \"service\"]\n", &f),
        "anon: deny, alice: allow, bob: allow, admin: allow, service: allow"
    );
    assert_eq!(
        verdicts("[functions]\nf = \"none\"\n", &f),
        "anon: deny, alice: deny, bob: deny, admin: deny, service: deny"
    );
}

#[test]
fn the_overload_wins_over_the_name_and_tables_fall_through_to_defaults() {
    let specs = "[function_defaults]\nservice = \"allow\"\n\n[functions]\nf = \"all\"\n\"f(uuid)\" = { anon = \"deny\", alice = \"allow\" }\n";
    assert_eq!(
        verdicts(specs, &function("f", "uuid", "id uuid")),
        "anon: deny, alice: allow, bob: allow, admin: allow, service: allow"
    );
    assert_eq!(
        verdicts(specs, &function("f", "text", "t text")),
        "anon: allow, alice: allow, bob: allow, admin: allow, service: allow"
    );
    let partial = "[function_defaults]\nservice = \"allow\"\nanon = \"none\"\n\n[functions]\ng = { alice = \"allow\" }\n";
    assert_eq!(
        verdicts(partial, &function("g", "", "")),
        "anon: deny, alice: allow, bob: -, admin: -, service: allow"
    );
}

#[test]
fn mistakes_are_located() {
    let errors = Specs::parse_str(
        "s.toml",
        "[functions]\nf = \"some\"\ng = [1]\nh = { anon = \"maybe\" }\n\"public.h\" = \"all\"\n\n[function_defaults]\nanon = \"allow\"\n",
    )
    .unwrap_err();
    let text = errors.render(false);
    assert!(
        text.contains("unknown value \"some\" for a function"),
        "{text}"
    );
    assert!(text.contains("s.toml:2:5"), "{text}");
    assert!(text.contains("found an integer"), "{text}");
    assert!(
        text.contains("unknown value \"maybe\" for `anon`"),
        "{text}"
    );
    assert!(text.contains("function `h` is declared twice"), "{text}");
    assert!(text.contains("first declared at s.toml:4:1"), "{text}");
    assert_eq!(errors.len(), 4, "{text}");

    let specs = Specs::parse_str(
        "s.toml",
        "[functions]\n\"f(uuid)\" = \"all\"\n\"f(id uuid)\" = \"none\"\n",
    )
    .unwrap();
    let f = function("f", "uuid", "id uuid");
    let twice = specs
        .validate_functions(std::slice::from_ref(&f), &default_identities())
        .unwrap_err()
        .render(false);
    assert!(
        twice.contains("`f(uuid)` names the same function as `f(id uuid)`"),
        "{twice}"
    );

    let conflict = Specs::from_sources(vec![
        SourceFile::new("a.toml", "[function_defaults]\nanon = \"deny\"\n"),
        SourceFile::new("b.toml", "[function_defaults]\nanon = \"allow\"\n"),
    ])
    .unwrap_err()
    .render(false);
    assert!(
        conflict.contains("conflicting function defaults for `anon`"),
        "{conflict}"
    );
    assert!(conflict.contains("b.toml:2:1"), "{conflict}");
}
