//! The identities' `auth.users` rows, created as Supabase Auth creates them: as
//! `supabase_auth_admin`, so signup triggers run with their production rights. A signup
//! trigger that copies the user into a table of the app may need user metadata there (a
//! company for `check (rol = 'super_admin' or empresa_id is not null)`): read from the error
//! and the trigger's source, it is synthesized, and the identities' claims carry it too.

use postgres::Client;
use serde_json::{Map, Value as Json};

use super::alternatives::{alternatives, Need};
use super::{RowSpec, Synthesizer};
use crate::matrix::TableRef;
use crate::probe::values::literal;
use crate::probe::{cells, describe, ProbeError};

/// How many times the user metadata may be completed before the signup counts as failed.
const METADATA_ROUNDS: usize = 3;

impl<'a> Synthesizer<'a> {
    /// Creates the `auth.users` rows of the identities and the synthesized members.
    pub fn create_users(&mut self, client: &mut Client) -> Result<(), ProbeError> {
        let as_auth_admin = client
            .query_one("select exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') and pg_has_role(current_user, 'supabase_auth_admin', 'MEMBER')", &[])
            .map(|r| r.get::<_, bool>(0))
            .unwrap_or(false);
        let people: Vec<_> = self.owners().chain(self.fillers).collect();
        for id in people {
            let mut rounds = 0;
            loop {
                let mut user = id
                    .claims
                    .get("user_metadata")
                    .and_then(Json::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (k, v) in &self.signup_metadata {
                    user.entry(k.clone()).or_insert_with(|| v.clone());
                }
                let Err(e) = insert_user(client, id, &user, as_auth_admin) else {
                    break;
                };
                let identity = id.name.clone();
                let message = describe(&e);
                if cells::is_statement_timeout(&e) {
                    return Err(ProbeError::SignupTimedOut { identity, message });
                }
                let learned = (rounds < METADATA_ROUNDS)
                    .then(|| self.metadata_for(client, &e, &user))
                    .flatten();
                match learned {
                    Some(more) => {
                        self.signup_metadata.extend(more);
                        rounds += 1;
                    }
                    None => {
                        let hint = signup_hint(client, &e, &user);
                        return Err(ProbeError::Signup {
                            identity,
                            message,
                            hint,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// User metadata that gets the row a signup trigger writes past the CHECK (or NOT NULL)
    /// that refused it: per column of one `OR` branch of the CHECK (a branch that only needs
    /// values before one that needs a constant, such as a role), the key the trigger reads
    /// (`->> 'empresa_id'`), and a value: the constant, a row made in the table a foreign key
    /// names, or a synthesized value. `None` when the error says nothing usable.
    fn metadata_for(
        &mut self,
        client: &mut Client,
        e: &postgres::Error,
        user: &Map<String, Json>,
    ) -> Option<Map<String, Json>> {
        let db = e.as_db_error()?;
        let table = TableRef::new(db.schema()?, db.table()?);
        let mut branches: Vec<Vec<(String, Need)>> = match db.code().code() {
            "23514" => {
                let definition: String = client
                    .query_one(
                        "select pg_get_constraintdef(c.oid) from pg_constraint c
                         where c.conname = $1 and c.conrelid = to_regclass($2)",
                        &[&db.constraint()?, &table.qualified()],
                    )
                    .ok()?
                    .get(0);
                alternatives(&definition)
            }
            "23502" => vec![vec![(db.column()?.to_string(), Need::NotNull)]],
            _ => return None,
        };
        branches.sort_by_key(|b| b.iter().any(|(_, need)| matches!(need, Need::Equals(_))));
        let source = trigger_source(client);
        let rel = self.catalog.get(&table).cloned()?;
        'branch: for branch in branches {
            let mut out = Map::new();
            for (column, need) in &branch {
                let key = format!("'{column}'");
                if !source.contains(&key) || user.contains_key(column) {
                    continue 'branch;
                }
                let value = match need {
                    Need::Null => continue 'branch,
                    Need::Equals(v) => Json::String(v.trim_matches('\'').replace("''", "'")),
                    Need::NotNull => match self.value_for(client, &rel, column) {
                        Some(v) => Json::String(v),
                        None => continue 'branch,
                    },
                };
                out.insert(column.clone(), value);
            }
            if !out.is_empty() {
                return Some(out);
            }
        }
        None
    }

    /// A value for `column` of `rel`: the key of a row made in the table its foreign key
    /// references, else a synthesized value.
    fn value_for(
        &mut self,
        client: &mut Client,
        rel: &crate::probe::catalog::Relation,
        column: &str,
    ) -> Option<String> {
        if let Some(fk) = rel
            .foreign_keys
            .iter()
            .find(|fk| fk.columns.len() == 1 && fk.columns[0] == column)
        {
            let parent = self.catalog.get(&fk.target)?;
            let row = self.insert(client, parent, &RowSpec::default()).ok()?;
            return match row.json.get(&fk.target_columns[0])? {
                Json::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            };
        }
        let col = rel.column(column)?;
        let expr = crate::probe::values::generate(&rel.table.to_string(), col, 1, 0, &[]);
        client
            .query_one(&format!("select ({expr})::text"), &[])
            .ok()?
            .get(0)
    }
}

fn insert_user(
    client: &mut Client,
    id: &crate::spec::Identity,
    user: &Map<String, Json>,
    as_auth_admin: bool,
) -> Result<(), postgres::Error> {
    let sub = id.sub.as_deref().unwrap_or_default();
    let email = id
        .email
        .clone()
        .unwrap_or_else(|| format!("{}@example.test", id.name));
    let app = id
        .claims
        .get("app_metadata")
        .cloned()
        .unwrap_or(Json::Object(Default::default()));
    let anonymous = id
        .claims
        .get("is_anonymous")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let role = if as_auth_admin {
        "set local role supabase_auth_admin;"
    } else {
        ""
    };
    let sql = format!(
        "savepoint rlsgate_user; {role}
         insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
             raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous)
         values ('00000000-0000-0000-0000-000000000000', {sub}, 'authenticated', {role_claim}, {email}, '', now(),
             {app}::jsonb, {user}::jsonb, now(), now(), {anonymous});
         insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at, last_sign_in_at)
         values ({sub}, {sub}, jsonb_build_object('sub', {sub}, 'email', {email}), 'email', now(), now(), now());
         reset role; release savepoint rlsgate_user;",
        sub = literal(sub),
        role_claim = literal(&id.role),
        email = literal(&email),
        app = literal(&app.to_string()),
        user = literal(&Json::Object(user.clone()).to_string()),
    );
    client.batch_execute(&sql).inspect_err(|_| {
        let _ = client.batch_execute("rollback to savepoint rlsgate_user; reset role;");
    })
}

/// The source of every trigger function on `auth.users`.
fn trigger_source(client: &mut Client) -> String {
    client
        .query_one(
            "select coalesce(string_agg(p.prosrc, E'\\n'), '') from pg_trigger t
             join pg_proc p on p.oid = t.tgfoid
             where t.tgrelid = to_regclass('auth.users') and not t.tgisinternal",
            &[],
        )
        .map(|r| r.get(0))
        .unwrap_or_default()
}

/// What to do about a failed signup, by its cause: a privilege or a name the trigger cannot
/// reach as `supabase_auth_admin`, or a row of the app that the new user's metadata does not
/// fill.
fn signup_hint(client: &mut Client, e: &postgres::Error, user: &Map<String, Json>) -> String {
    let Some(db) = e.as_db_error() else {
        return String::new();
    };
    let table = db
        .table()
        .map(|t| format!("`{}.{t}`", db.schema().unwrap_or("public")))
        .unwrap_or_else(|| "a table".to_string());
    match db.code().code() {
        "42501" | "42P01" | "42883" | "42704" | "3F000" => {
            "Supabase Auth inserts users as supabase_auth_admin, so a trigger on auth.users runs \
             with that role's rights:\nmake the trigger function SECURITY DEFINER with \
             `set search_path = ''` and qualified names."
                .to_string()
        }
        code @ ("23514" | "23502" | "23503" | "23505") => {
            let what = match code {
                "23514" => {
                    let definition: Option<String> = db.constraint().and_then(|c| {
                        client
                            .query_one(
                                "select pg_get_constraintdef(oid) from pg_constraint where conname = $1",
                                &[&c],
                            )
                            .ok()
                            .map(|r| r.get(0))
                    });
                    format!(
                        "whose check `{}`{} refuses it",
                        db.constraint().unwrap_or_default(),
                        definition.map(|d| format!(" ({d})")).unwrap_or_default()
                    )
                }
                "23502" => format!(
                    "whose column `{}` may not be null",
                    db.column().unwrap_or_default()
                ),
                "23503" => "whose foreign key finds no row".to_string(),
                _ => "whose unique key it meets".to_string(),
            };
            let sent = if user.is_empty() {
                "no user metadata".to_string()
            } else {
                format!("user metadata {}", Json::Object(user.clone()))
            };
            if trigger_source(client).contains("raw_user_meta_data") {
                format!(
                    "A trigger on auth.users copies the new user into {table}, {what}; the test \
                     user carried {sent}. A real signup fails the same way unless the app sends \
                     the metadata the trigger reads: give the identity that metadata in \
                     policy_specs/identities.toml (`[identities.NAME] claims = {{ user_metadata \
                     = {{ ... }} }}`), or make the trigger fill the row without it."
                )
            } else {
                format!(
                    "A trigger on auth.users copies the new user into {table}, {what}; it reads \
                     no user metadata, so every signup fails this way: make the trigger fill the \
                     row, or relax the constraint."
                )
            }
        }
        _ => "A trigger on auth.users failed; a real signup fails the same way.".to_string(),
    }
}
