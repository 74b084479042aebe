//! Identities: the defaults, declared ones, and the claims PostgREST would see.

use std::fs;

use rlsgate::spec::identities::{derived_uuid, is_uuid, load_identities_all};
use rlsgate::spec::{default_identities, load_identities};
use serde_json::json;

fn dir_with(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("identities.toml"), text).unwrap();
    dir
}

#[test]
fn defaults_when_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let identities = load_identities(dir.path()).unwrap();
    let summary: Vec<(&str, &str, bool, bool)> = identities
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.role.as_str(),
                i.sub.is_some(),
                i.owns_rows(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("anon", "anon", false, false),
            ("alice", "authenticated", true, true),
            ("bob", "authenticated", true, true),
            ("admin", "authenticated", true, true),
            ("service", "service_role", false, false),
        ]
    );
    assert_eq!(identities, {
        let mut d = default_identities();
        for (a, b) in d.iter_mut().zip(&identities) {
            a.claims["iat"] = b.claims["iat"].clone();
            a.claims["exp"] = b.claims["exp"].clone();
            if let Some(amr) = a.claims.get_mut("amr") {
                *amr = b.claims["amr"].clone();
            }
        }
        d
    });
}

#[test]
fn subs_are_stable_uuids_derived_from_the_name() {
    let a = default_identities();
    let b = default_identities();
    assert_eq!(a[1].sub, b[1].sub);
    assert_ne!(a[1].sub, a[2].sub);
    let alice = a[1].sub.clone().unwrap();
    assert!(is_uuid(&alice), "{alice}");
    assert_eq!(alice, derived_uuid("sub", "alice"));
    assert_eq!(&alice[14..15], "8", "version nibble");
    assert!("89ab".contains(&alice[19..20]), "variant nibble");
}

#[test]
fn a_user_has_the_full_supabase_claim_set() {
    let alice = &default_identities()[1];
    let c = &alice.claims;
    for key in [
        "sub",
        "role",
        "aud",
        "email",
        "phone",
        "app_metadata",
        "user_metadata",
        "is_anonymous",
        "aal",
        "session_id",
        "iat",
        "exp",
    ] {
        assert!(c.get(key).is_some(), "missing {key}: {c}");
    }
    assert_eq!(c["sub"], json!(alice.sub.clone().unwrap()));
    assert_eq!(c["role"], "authenticated");
    assert_eq!(c["aud"], "authenticated");
    assert_eq!(c["email"], "alice@example.test");
    assert_eq!(
        c["app_metadata"],
        json!({"provider": "email", "providers": ["email"]})
    );
    assert_eq!(c["is_anonymous"], false);
    assert_eq!(c["aal"], "aal1");
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        3600
    );
    let anon = &default_identities()[0];
    assert_eq!(anon.claims["role"], "anon");
    assert!(anon.claims.get("sub").is_none());
    assert_eq!(anon.email, None);
}

#[test]
fn declared_identities_merge_over_the_defaults() {
    let dir = dir_with(
        r#"
[identities.admin]
claims = { app_metadata = { role = "admin" } }
setup = ["update public.profiles set role = 'admin' where id = '{sub}' and email = '{email}' -- {name}"]

[identities.mallory]
role = "authenticated"
email = "m@evil.test"
claims = { user_metadata = { role = "admin" } }

[identities.robot]
role = "api_worker"
sub = false
"#,
    );
    let identities = load_identities(dir.path()).unwrap();
    let names: Vec<&str> = identities.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        ["anon", "alice", "bob", "admin", "service", "mallory", "robot"]
    );
    let admin = &identities[3];
    assert_eq!(admin.role, "authenticated");
    assert_eq!(admin.sub, default_identities()[3].sub);
    assert_eq!(
        admin.claims["app_metadata"],
        json!({"provider": "email", "providers": ["email"], "role": "admin"})
    );
    let sub = admin.sub.clone().unwrap();
    assert_eq!(
        admin.setup,
        [format!("update public.profiles set role = 'admin' where id = '{sub}' and email = 'admin@example.test' -- {{name}}")]
    );
    let mallory = &identities[5];
    assert_eq!(mallory.claims["user_metadata"], json!({"role": "admin"}));
    assert_eq!(mallory.claims["email"], "m@evil.test");
    assert_eq!(mallory.claims["app_metadata"]["provider"], "email");
    let robot = &identities[6];
    assert_eq!(
        (robot.role.as_str(), robot.sub.as_deref()),
        ("api_worker", None)
    );
    assert!(!robot.owns_rows());
}

#[test]
fn replace_defaults() {
    let dir = dir_with("replace_defaults = true\n[identities.carol]\nrole = \"authenticated\"\nsub = \"00000000-0000-4000-8000-00000000000C\"\n");
    let identities = load_identities(dir.path()).unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(
        identities[0].sub.as_deref(),
        Some("00000000-0000-4000-8000-00000000000c")
    );
    assert_eq!(
        identities[0].claims["sub"],
        "00000000-0000-4000-8000-00000000000c"
    );

    let dir = dir_with("replace_defaults = true\n");
    let errors = load_identities_all(dir.path()).unwrap_err();
    assert_eq!(
        errors.iter().next().unwrap().message,
        "no identities: `replace_defaults = true` and none declared"
    );
}
