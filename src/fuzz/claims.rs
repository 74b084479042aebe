//! Claim tampering: what a client can put into, or leave out of, the claims PostgREST hands
//! the database, and how each changes a claim document.

use proptest::prelude::*;
use serde_json::{json, Value as Json};

#[derive(Debug, Clone, PartialEq)]
pub enum Tamper {
    /// No `sub` claim.
    NoSub,
    /// The id of another generated user, where a client can write it: `user_metadata.sub`,
    /// `user_metadata.user_id` and an extra top-level `user_id` (the real `sub` stays).
    SubOf(usize),
    /// `user_metadata.role` set to this (`service_role`, `admin`): any user can write it.
    MetadataRole(String),
    /// `is_anonymous` set to this.
    Anonymous(bool),
    /// `aal` set to this (`aal1`, `aal2`).
    Aal(String),
    /// `exp` an hour in the past.
    Expired,
    /// An unknown extra top-level claim. (Never `role`: PostgREST sets the database role
    /// from it, so a token's `role` and the role the statement runs as cannot differ.)
    Extra(String, Json),
    /// The claim document `{}`.
    Empty,
    /// No claims at all (the settings are empty).
    Absent,
}

impl Tamper {
    pub fn describe(&self, names: &[String]) -> String {
        match self {
            Tamper::NoSub => "no `sub`".into(),
            Tamper::SubOf(i) => format!(
                "the id of {} in user_metadata.sub, user_metadata.user_id and user_id",
                names.get(*i).map_or("another user", String::as_str)
            ),
            Tamper::MetadataRole(r) => format!("user_metadata.role = {r:?}"),
            Tamper::Anonymous(b) => format!("is_anonymous = {b}"),
            Tamper::Aal(a) => format!("aal = {a:?}"),
            Tamper::Expired => "an expired `exp`".into(),
            Tamper::Extra(k, v) => format!("an extra claim {k} = {v}"),
            Tamper::Empty => "claims `{}`".into(),
            Tamper::Absent => "no claims at all".into(),
        }
    }
}

/// The claims after tampering, as the text `request.jwt.claims` is set to (empty: absent).
pub fn apply(base: &Json, tampers: &[Tamper], subs: &[String]) -> String {
    let mut claims = base.clone();
    let mut absent = false;
    for t in tampers {
        let obj = match claims.as_object_mut() {
            Some(o) => o,
            None => continue,
        };
        match t {
            Tamper::NoSub => {
                obj.remove("sub");
            }
            Tamper::SubOf(i) => {
                if let Some(other) = subs.get(*i) {
                    let meta = obj.entry("user_metadata").or_insert_with(|| json!({}));
                    if let Some(meta) = meta.as_object_mut() {
                        meta.insert("sub".into(), json!(other));
                        meta.insert("user_id".into(), json!(other));
                    }
                    obj.insert("user_id".into(), json!(other));
                }
            }
            Tamper::MetadataRole(r) => {
                let meta = obj.entry("user_metadata").or_insert_with(|| json!({}));
                if let Some(meta) = meta.as_object_mut() {
                    meta.insert("role".into(), json!(r));
                }
            }
            Tamper::Anonymous(b) => {
                obj.insert("is_anonymous".into(), json!(b));
            }
            Tamper::Aal(a) => {
                obj.insert("aal".into(), json!(a));
            }
            Tamper::Expired => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                obj.insert("exp".into(), json!(now.saturating_sub(3600)));
                obj.insert("iat".into(), json!(now.saturating_sub(7200)));
            }
            Tamper::Extra(k, v) => {
                obj.insert(k.clone(), v.clone());
            }
            Tamper::Empty => claims = json!({}),
            Tamper::Absent => absent = true,
        }
    }
    if absent {
        String::new()
    } else {
        claims.to_string()
    }
}

/// The `sub` a claim text carries (what `request.jwt.claim.sub` is set to), or empty.
pub fn sub_of(claims: &str) -> String {
    serde_json::from_str::<Json>(claims)
        .ok()
        .and_then(|c| c.get("sub").and_then(Json::as_str).map(str::to_string))
        .unwrap_or_default()
}

fn extra_value() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(json!(true)),
        Just(json!("admin")),
        Just(json!("service_role")),
        Just(json!({ "role": "admin" })),
        "[a-z]{0,6}".prop_map(Json::String),
        any::<i32>().prop_map(|n| json!(n)),
    ]
}

/// One tampering, for a case with `users` generated users.
pub fn tamper(users: usize) -> impl Strategy<Value = Tamper> {
    prop_oneof![
        Just(Tamper::NoSub),
        (0..users.max(1)).prop_map(Tamper::SubOf),
        prop::sample::select(vec!["service_role", "admin"])
            .prop_map(|r| Tamper::MetadataRole(r.to_string())),
        any::<bool>().prop_map(Tamper::Anonymous),
        prop::sample::select(vec!["aal1", "aal2"]).prop_map(|a| Tamper::Aal(a.to_string())),
        Just(Tamper::Expired),
        (
            prop::sample::select(vec![
                "user_role",
                "admin",
                "is_admin",
                "app_role",
                "permissions",
                "x"
            ]),
            extra_value()
        )
            .prop_map(|(k, v)| Tamper::Extra(k.to_string(), v)),
        Just(Tamper::Empty),
        Just(Tamper::Absent),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tampering_changes_only_what_it_names() {
        let base = json!({ "sub": "u0", "role": "authenticated", "user_metadata": {} });
        let subs = vec!["u0".to_string(), "u1".to_string()];
        let c: Json = serde_json::from_str(&apply(
            &base,
            &[Tamper::SubOf(1), Tamper::MetadataRole("admin".into())],
            &subs,
        ))
        .unwrap();
        assert_eq!(c["sub"], "u0");
        assert_eq!(c["user_metadata"]["user_id"], "u1");
        assert_eq!(c["user_metadata"]["role"], "admin");
        assert_eq!(apply(&base, &[Tamper::Empty], &subs), "{}");
        assert_eq!(apply(&base, &[Tamper::Absent, Tamper::Expired], &subs), "");
        assert_eq!(sub_of(&apply(&base, &[Tamper::NoSub], &subs)), "");
    }
}
