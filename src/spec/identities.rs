//! Identities: who the probes impersonate, with the JWT claims PostgREST would set.
//!
//! `policy_specs/identities.toml` is optional; without it the default set is `anon`, `alice`,
//! `bob`, `admin` and `service`. See docs/specs.md for the format.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use toml_edit::{Item, Value};

use super::error::{SpecError, SpecErrors};
use super::source::{entries, item_span, item_to_json, kind, SourceFile};

pub const IDENTITIES_FILE: &str = "identities.toml";

/// Names an identity may not take: they mean something else in a spec table.
pub const RESERVED_NAMES: [&str; 4] = ["public", "owner", "transfer", "*"];

const IDENTITY_KEYS: [&str; 6] = ["role", "sub", "email", "phone", "claims", "setup"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    pub name: String,
    /// The database role the probes `SET LOCAL ROLE` to.
    pub role: String,
    pub sub: Option<String>,
    pub email: Option<String>,
    /// The full claim set for `request.jwt.claims`, overrides merged.
    pub claims: Json,
    /// SQL run by a superuser after rows are synthesized, placeholders substituted.
    pub setup: Vec<String>,
    /// The tenants the identity belongs to, with its role in each (known once rows are placed).
    pub tenants: Vec<TenantRole>,
}

/// One membership: a tenant and the role held there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantRole {
    pub tenant: String,
    pub role: Option<String>,
}

impl Identity {
    pub fn belongs_to(&self, tenant: &str) -> bool {
        self.tenants.iter().any(|t| t.tenant == tenant)
    }

    /// The tenants where the identity holds `role` (every tenant it belongs to for `None`).
    pub fn tenants_with<'s>(&'s self, role: Option<&'s str>) -> impl Iterator<Item = &'s str> + 's {
        self.tenants
            .iter()
            .filter(move |t| role.is_none_or(|r| t.role.as_deref() == Some(r)))
            .map(|t| t.tenant.as_str())
    }

    /// True when rows can belong to this identity: it has a `sub` and is not `service_role`.
    pub fn owns_rows(&self) -> bool {
        self.sub.is_some() && self.role != "service_role"
    }

    /// A synthesized identity with the default claim set and no setup.
    pub fn new(name: &str, role: &str) -> Identity {
        let sub = default_sub(name, role);
        let email = sub.as_ref().map(|_| format!("{name}@example.test"));
        let claims = synthesize_claims(name, role, sub.as_deref(), email.as_deref(), None);
        Identity {
            name: name.to_string(),
            role: role.to_string(),
            sub,
            email,
            claims,
            setup: Vec::new(),
            tenants: Vec::new(),
        }
    }
}

/// The identities used when a project declares none.
pub fn default_identities() -> Vec<Identity> {
    [
        ("anon", "anon"),
        ("alice", "authenticated"),
        ("bob", "authenticated"),
        ("admin", "authenticated"),
        ("service", "service_role"),
    ]
    .into_iter()
    .map(|(name, role)| Identity::new(name, role))
    .collect()
}

/// Load `dir/identities.toml` over the defaults. A missing file (or directory) means the
/// defaults.
pub fn load_identities(dir: &Path) -> Result<Vec<Identity>, SpecError> {
    let path = dir.join(IDENTITIES_FILE);
    if !path.exists() {
        return Ok(default_identities());
    }
    let source = SourceFile::read(&path)?;
    parse_identities(&source).map_err(|errors| {
        let mut errors = errors.0;
        errors.sort_by_key(|e| (e.line, e.column));
        errors.remove(0)
    })
}

/// Like [`load_identities`], reporting every problem rather than the first.
pub fn load_identities_all(dir: &Path) -> Result<Vec<Identity>, SpecErrors> {
    let path = dir.join(IDENTITIES_FILE);
    if !path.exists() {
        return Ok(default_identities());
    }
    parse_identities(&SourceFile::read(&path)?)
}

pub fn parse_identities(source: &SourceFile) -> Result<Vec<Identity>, SpecErrors> {
    let doc = source.parse()?;
    let mut errors = SpecErrors::default();
    let mut replace_defaults = false;
    let mut declared = None;
    for (key, item) in entries(doc.as_table()) {
        match key.get() {
            "replace_defaults" => match item.as_bool() {
                Some(b) => replace_defaults = b,
                None => errors.push(source.error_labelled(
                    item_span(key, item),
                    format!(
                        "`replace_defaults` must be true or false, found {}",
                        kind(item)
                    ),
                    "expected a boolean",
                )),
            },
            "identities" => match item.as_table_like() {
                Some(t) => declared = Some(t),
                None => errors.push(source.not_a_table("`identities`", key, item)),
            },
            _ => errors.push(source.unknown_key(
                key,
                "top-level key",
                &["identities", "replace_defaults"],
            )),
        }
    }

    let mut identities = if replace_defaults {
        Vec::new()
    } else {
        default_identities()
    };
    let mut seen = BTreeSet::new();
    for (key, item) in declared.map(entries).unwrap_or_default() {
        let name = key.get();
        if RESERVED_NAMES.contains(&name) || name.is_empty() {
            errors.push(
                source
                    .error_labelled(
                        key.span(),
                        format!("`{name}` cannot name an identity"),
                        "reserved",
                    )
                    .with_help(format!(
                        "these names mean something else in a spec: {}",
                        RESERVED_NAMES.join(", ")
                    )),
            );
            continue;
        }
        seen.insert(name.to_string());
        let Some(table) = item.as_table_like() else {
            errors.push(
                source
                    .not_a_table(&format!("identity `{name}`"), key, item)
                    .with_help(format!(
                        "write `[identities.{name}]` followed by `role = \"authenticated\"`"
                    )),
            );
            continue;
        };
        let base = identities.iter().find(|i| i.name == name).cloned();
        match parse_identity(source, name, table, base.as_ref()) {
            Ok(identity) => match identities.iter_mut().find(|i| i.name == name) {
                Some(slot) => *slot = identity,
                None => identities.push(identity),
            },
            Err(e) => errors.extend(e),
        }
    }
    if identities.is_empty() && errors.is_empty() {
        errors.push(
            source
                .error(
                    Some(0..0),
                    "no identities: `replace_defaults = true` and none declared",
                )
                .with_help("declare at least one `[identities.<name>]` table"),
        );
    }
    errors.into_result(identities)
}

fn parse_identity(
    source: &SourceFile,
    name: &str,
    table: &dyn toml_edit::TableLike,
    base: Option<&Identity>,
) -> Result<Identity, SpecErrors> {
    let mut errors = SpecErrors::default();
    let mut role = base.map(|b| b.role.clone());
    let mut sub: Option<Option<String>> = None;
    let mut email: Option<String> = None;
    let mut phone: Option<String> = None;
    let mut claims: Option<Json> = None;
    let mut setup: Vec<(String, Option<std::ops::Range<usize>>)> = Vec::new();

    let string = |key: &toml_edit::Key, item: &Item, errors: &mut SpecErrors| -> Option<String> {
        match item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                errors.push(source.error_labelled(
                    item_span(key, item),
                    format!("`{}` must be a string, found {}", key.get(), kind(item)),
                    "expected a string",
                ));
                None
            }
        }
    };

    for (key, item) in entries(table) {
        match key.get() {
            "role" => {
                if let Some(r) = string(key, item, &mut errors) {
                    if r.is_empty() {
                        errors.push(source.error_labelled(
                            item_span(key, item),
                            "`role` cannot be empty",
                            "a database role",
                        ));
                    } else {
                        role = Some(r);
                    }
                }
            }
            "sub" => match item {
                Item::Value(Value::Boolean(b)) if !*b.value() => sub = Some(None),
                _ => {
                    if let Some(s) = string(key, item, &mut errors) {
                        if is_uuid(&s) {
                            sub = Some(Some(s.to_ascii_lowercase()));
                        } else {
                            errors.push(
                                source
                                    .error_labelled(
                                        item_span(key, item),
                                        format!("`sub` must be a uuid, found \"{s}\""),
                                        "not a uuid",
                                    )
                                    .with_help(
                                        "omit `sub` for a stable one derived from the name, or `sub = false` for none",
                                    ),
                            );
                        }
                    }
                }
            },
            "email" => email = string(key, item, &mut errors),
            "phone" => phone = string(key, item, &mut errors),
            "claims" => match item_to_json(item) {
                Some(j @ Json::Object(_)) => claims = Some(j),
                _ => errors.push(
                    source
                        .not_a_table("`claims`", key, item)
                        .with_help("e.g. `claims = { app_metadata = { role = \"admin\" } }`"),
                ),
            },
            "setup" => match item.as_array() {
                Some(array) => {
                    for value in array.iter() {
                        match value.as_str() {
                            Some(s) => setup.push((s.to_string(), value.span())),
                            None => errors.push(source.error_labelled(
                                value.span(),
                                "each `setup` entry must be a string of SQL",
                                "expected a string",
                            )),
                        }
                    }
                }
                None => match item.as_str() {
                    Some(s) => setup.push((s.to_string(), item_span(key, item))),
                    None => errors.push(source.error_labelled(
                        item_span(key, item),
                        format!(
                            "`setup` must be an array of SQL strings, found {}",
                            kind(item)
                        ),
                        "expected an array of strings",
                    )),
                },
            },
            _ => errors.push(source.unknown_key(key, "identity key", &IDENTITY_KEYS)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let role = role.unwrap_or_else(|| "authenticated".to_string());
    let sub = match sub {
        Some(explicit) => explicit,
        None => match base {
            Some(b) if b.role == role => b.sub.clone(),
            _ => default_sub(name, &role),
        },
    };
    let email = email.or_else(|| sub.as_ref().map(|_| format!("{name}@example.test")));
    let mut full = synthesize_claims(
        name,
        &role,
        sub.as_deref(),
        email.as_deref(),
        phone.as_deref(),
    );
    if let Some(overrides) = claims {
        deep_merge(&mut full, overrides);
    }
    let values = [
        ("sub", sub.as_deref().unwrap_or("")),
        ("email", email.as_deref().unwrap_or("")),
        ("name", name),
    ];
    let mut substituted = Vec::new();
    for (sql, span) in &setup {
        match super::placeholders::substitute(sql, &values) {
            Ok(sql) => substituted.push(sql),
            Err(why) => errors.push(
                source
                    .error_labelled(span.clone(), format!("`setup` of identity `{name}`: {why}"), "here")
                    .with_help("placeholders are substituted as SQL values: write {sub} bare or inside '...'"),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Identity {
        name: name.to_string(),
        role,
        setup: substituted,
        sub,
        email,
        claims: full,
        tenants: Vec::new(),
    })
}

/// Every identity's database role must exist: a missing one (a typo, a role the migrations
/// never create) is a located error in `dir/identities.toml`, never a run of inconclusive
/// probes. `roles`: the roles the database has.
pub fn check_roles(
    dir: &Path,
    identities: &[Identity],
    roles: &[String],
) -> Result<(), SpecErrors> {
    let missing: Vec<&Identity> = identities
        .iter()
        .filter(|i| !roles.contains(&i.role))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let path = dir.join(IDENTITIES_FILE);
    let source = SourceFile::read(&path).ok();
    let doc = source.as_ref().and_then(|s| s.parse().ok());
    let mut errors = SpecErrors::default();
    for identity in missing {
        let suggestion = roles
            .iter()
            .map(|r| (strsim::jaro_winkler(r, &identity.role), r))
            .filter(|(score, _)| *score > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, r)| format!("did you mean `{r}`? "))
            .unwrap_or_default();
        let help = format!(
            "{suggestion}the probes `SET ROLE` to it; create it in a migration or use anon, authenticated or service_role"
        );
        let message = format!(
            "identity `{}`: role `{}` does not exist in the database",
            identity.name, identity.role
        );
        let span = doc.as_ref().and_then(|doc| {
            let table = doc.get("identities")?.as_table_like()?;
            let declared = table.get(&identity.name)?.as_table_like()?;
            let (key, item) = declared.get_key_value("role")?;
            item_span(key, item)
        });
        errors.push(match &source {
            Some(source) => source
                .error_labelled(span, message, "no such role")
                .with_help(help),
            None => SpecError::file(&path, message).with_help(help),
        });
    }
    errors.into_result(())
}

/// The sub of an identity that declares none: none for `anon` and `service_role`, otherwise a
/// uuid derived from the name, the same on every run and machine.
pub fn default_sub(name: &str, role: &str) -> Option<String> {
    match role {
        "anon" | "service_role" => None,
        _ => Some(derived_uuid("sub", name)),
    }
}

/// A uuid (version 8, name-based) from sha256 of `kind:name`.
pub fn derived_uuid(kind: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("rlsgate:{kind}:{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The claims PostgREST would see for a Supabase access token of this identity.
pub fn synthesize_claims(
    name: &str,
    role: &str,
    sub: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
) -> Json {
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let exp = iat + 3600;
    match sub {
        None => json!({
            "iss": "supabase",
            "role": role,
            "iat": iat,
            "exp": exp,
        }),
        Some(sub) => json!({
            "iss": "http://127.0.0.1:54321/auth/v1",
            "sub": sub,
            "aud": if role == "authenticated" { "authenticated" } else { role },
            "role": role,
            "email": email.unwrap_or(""),
            "phone": phone.unwrap_or(""),
            "app_metadata": { "provider": "email", "providers": ["email"] },
            "user_metadata": {},
            "is_anonymous": false,
            "aal": "aal1",
            "amr": [{ "method": "password", "timestamp": iat }],
            "session_id": derived_uuid("session", name),
            "iat": iat,
            "exp": exp,
        }),
    }
}

/// Merge `overrides` into `base`: objects merge key by key, anything else replaces.
pub fn deep_merge(base: &mut Json, overrides: Json) {
    match (base, overrides) {
        (Json::Object(base), Json::Object(overrides)) => {
            for (key, value) in overrides {
                match base.get_mut(&key) {
                    Some(slot) => deep_merge(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overrides) => *base = overrides,
    }
}
