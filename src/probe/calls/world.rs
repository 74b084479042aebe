//! One call as PostgREST's `/rpc` makes it, in a savepoint that is always rolled back, with the
//! rows of the tables the function names snapshotted before and after (which rows it wrote),
//! and the rows an identity cannot read hidden for a second look (which rows it read).

use std::collections::{BTreeMap, BTreeSet};

use postgres::{Client, SimpleQueryMessage};

use crate::matrix::TableRef;
use crate::probe::catalog::Relation;
use crate::probe::rows::key_expr;
use crate::spec::Identity;
use crate::sql::quote::quote_literal;

/// What one call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Called {
    /// It returned (this JSON text) and wrote these rows.
    Returned { result: String, writes: Vec<Write> },
    /// It raised on purpose (an exception, a privilege error): it reached nothing.
    Refused { sqlstate: String, message: String },
    /// It did not finish within the call timeout, or failed for a reason that says nothing
    /// about access: nothing was observed.
    Failed { sqlstate: String, message: String },
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum WriteKind {
    Insert,
    Update,
    Delete,
}

impl WriteKind {
    pub fn verb(self) -> &'static str {
        match self {
            WriteKind::Insert => "inserted",
            WriteKind::Update => "updated",
            WriteKind::Delete => "deleted",
        }
    }
}

/// A row the call changed: the table and the row's key as `key_expr` prints it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Write {
    pub table: TableRef,
    pub key: String,
    pub kind: WriteKind,
}

/// How a call is made: the identity's role and claims, and the limits around it.
pub struct Caller<'a> {
    pub identity: &'a Identity,
    /// `statement_timeout` for the call and for the rest (milliseconds, `0` none).
    pub call_timeout: String,
    pub probe_timeout: String,
}

impl Caller<'_> {
    fn impersonation(&self) -> String {
        let id = self.identity;
        format!(
            "select set_config('role', {role}, true), set_config('request.jwt.claims', {claims}, true), \
             set_config('request.jwt.claim.sub', {sub}, true), set_config('request.jwt.claim.role', {role}, true), \
             set_config('request.jwt.claim.email', {email}, true)",
            role = quote_literal(&id.role),
            claims = quote_literal(&id.claims.to_string()),
            sub = quote_literal(id.sub.as_deref().unwrap_or("")),
            email = quote_literal(id.email.as_deref().unwrap_or("")),
        )
    }
}

/// `select` of every watched table's rows as `key<US>ctid`, tables apart by `<GS>`.
pub fn snapshot_sql(tables: &[&Relation]) -> Option<String> {
    if tables.is_empty() {
        return None;
    }
    let parts: Vec<String> = tables
        .iter()
        .map(|rel| {
            format!(
                "coalesce((select string_agg({} || chr(31) || t.ctid::text, chr(30)) from {} t), '')",
                key_expr(rel),
                rel.table.qualified()
            )
        })
        .collect();
    Some(format!("select concat_ws(chr(29), {})", parts.join(", ")))
}

/// The call as `/rpc` runs it, its rows as one JSON array.
pub fn call_sql(function: &crate::matrix::FunctionRef, args: &str) -> String {
    format!(
        "select coalesce(jsonb_agg(to_jsonb(r))::text, '[]') from (select * from {}.{}({args})) r",
        crate::matrix::quote_ident(&function.schema),
        crate::matrix::quote_ident(&function.name)
    )
}

/// Makes one call in a savepoint that is rolled back, watching `tables`.
pub fn call(
    client: &mut Client,
    caller: &Caller,
    call: &str,
    tables: &[&Relation],
) -> Result<Called, postgres::Error> {
    let snapshot = snapshot_sql(tables);
    let mut batch = String::from("savepoint rlsgate_call;\n");
    if let Some(s) = &snapshot {
        batch.push_str(&format!("{s};\n"));
    }
    batch.push_str(&format!(
        "{};\nset local statement_timeout = {};\n{call};\nset local statement_timeout = {};\n\
         select set_config('role', 'none', true);\n",
        caller.impersonation(),
        caller.call_timeout,
        caller.probe_timeout
    ));
    if let Some(s) = &snapshot {
        batch.push_str(&format!("{s};\n"));
    }
    batch.push_str("rollback to savepoint rlsgate_call;");
    let rows = match client.simple_query(&batch) {
        Ok(messages) => rows_of(messages),
        Err(e) => {
            let Some(db) = e.as_db_error() else {
                return Err(e);
            };
            let (sqlstate, message) = (db.code().code().to_string(), db.message().to_string());
            client.batch_execute("rollback to savepoint rlsgate_call")?;
            return Ok(if refusal(&sqlstate) {
                Called::Refused { sqlstate, message }
            } else {
                Called::Failed { sqlstate, message }
            });
        }
    };
    let at = |i: usize| rows.get(i).cloned().unwrap_or_default();
    let (result, writes) = match snapshot {
        Some(_) => (at(2), writes_between(tables, &at(0), &at(4))),
        None => (at(1), Vec::new()),
    };
    Ok(Called::Returned { result, writes })
}

/// A call of a function that raises on purpose (`raise exception`, an assert, a privilege
/// error or a PostgREST-style `PTxxx` code): its caller check said no.
fn refusal(sqlstate: &str) -> bool {
    sqlstate.starts_with("P0")
        || sqlstate.starts_with("PT")
        || sqlstate.starts_with("28")
        || sqlstate == "42501"
}

fn rows_of(messages: Vec<SimpleQueryMessage>) -> Vec<String> {
    messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or("").to_string()),
            _ => None,
        })
        .collect()
}

fn parse_snapshot(tables: &[&Relation], text: &str) -> Vec<BTreeMap<String, String>> {
    let mut parts = text.split('\u{1d}');
    tables
        .iter()
        .map(|_| {
            parts
                .next()
                .unwrap_or("")
                .split('\u{1e}')
                .filter(|r| !r.is_empty())
                .filter_map(|r| r.split_once('\u{1f}'))
                .map(|(k, c)| (k.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

fn writes_between(tables: &[&Relation], before: &str, after: &str) -> Vec<Write> {
    let before = parse_snapshot(tables, before);
    let after = parse_snapshot(tables, after);
    let mut writes = Vec::new();
    for ((rel, b), a) in tables.iter().zip(&before).zip(&after) {
        for (key, ctid) in b {
            let kind = match a.get(key) {
                None => WriteKind::Delete,
                Some(c) if c != ctid => WriteKind::Update,
                Some(_) => continue,
            };
            writes.push(Write {
                table: rel.table.clone(),
                key: key.clone(),
                kind,
            });
        }
        for key in a.keys().filter(|k| !b.contains_key(*k)) {
            writes.push(Write {
                table: rel.table.clone(),
                key: key.clone(),
                kind: WriteKind::Insert,
            });
        }
    }
    writes
}

/// Only the result of a call, for the second look with rows hidden: `None` when it did not
/// return.
pub fn result_only(
    client: &mut Client,
    caller: &Caller,
    call: &str,
) -> Result<Option<String>, postgres::Error> {
    match self::call(client, caller, call, &[])? {
        Called::Returned { result, .. } => Ok(Some(result)),
        _ => Ok(None),
    }
}

/// Deletes (inside the caller's savepoint, triggers and foreign keys off) the rows of each
/// table whose keys are given: the database as the identity sees it through the tables.
pub fn hide(
    client: &mut Client,
    hidden: &[(&Relation, &BTreeSet<String>)],
) -> Result<(), postgres::Error> {
    let mut sql = String::from("set local session_replication_role = replica;\n");
    for (rel, keys) in hidden.iter().filter(|(_, k)| !k.is_empty()) {
        let list: Vec<String> = keys.iter().map(|k| quote_literal(k)).collect();
        sql.push_str(&format!(
            "delete from {} t where {} in ({});\n",
            rel.table.qualified(),
            key_expr(rel),
            list.join(", ")
        ));
    }
    sql.push_str("set local session_replication_role = origin;");
    client.batch_execute(&sql)
}

/// The scalar values of a JSON result (strings and numbers), to find row keys in.
pub fn values_in(result: &str) -> BTreeSet<String> {
    fn walk(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::String(s) => {
                out.insert(s.clone());
                if s.starts_with(['{', '[']) {
                    if let Ok(inner) = serde_json::from_str::<serde_json::Value>(s) {
                        walk(&inner, out);
                    }
                }
            }
            serde_json::Value::Number(n) => {
                out.insert(n.to_string());
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(result) {
        walk(&v, &mut out);
    }
    out
}

/// One statement as the identity in a savepoint that is rolled back: the rows it affected or
/// returned (`Ok`), or its SQLSTATE.
fn as_identity(
    client: &mut Client,
    caller: &Caller,
    statement: &str,
) -> Result<Result<(u64, String), String>, postgres::Error> {
    let batch = format!(
        "savepoint rlsgate_reach;\n{};\n{statement};\nselect set_config('role', 'none', true);\n\
         rollback to savepoint rlsgate_reach;",
        caller.impersonation()
    );
    match client.simple_query(&batch) {
        Ok(messages) => {
            let mut affected = 0;
            let mut text = String::new();
            let mut seen = 0;
            for m in messages {
                match m {
                    SimpleQueryMessage::CommandComplete(n) => {
                        seen += 1;
                        // savepoint, impersonation, then the statement
                        if seen == 3 {
                            affected = n;
                        }
                    }
                    SimpleQueryMessage::Row(row) if seen == 2 => {
                        text = row.get(0).unwrap_or("").to_string();
                    }
                    _ => {}
                }
            }
            Ok(Ok((affected, text)))
        }
        Err(e) => {
            let Some(db) = e.as_db_error() else {
                return Err(e);
            };
            let state = db.code().code().to_string();
            client.batch_execute("rollback to savepoint rlsgate_reach")?;
            Ok(Err(state))
        }
    }
}

/// The keys of the rows of `rel` the identity reads through the table itself (`None`: the read
/// failed for a reason other than a privilege, so every row counts as readable).
pub fn readable(
    client: &mut Client,
    caller: &Caller,
    rel: &Relation,
) -> Result<Option<BTreeSet<String>>, postgres::Error> {
    let sql = format!(
        "select coalesce(string_agg({}, chr(30)), '') from {} t",
        key_expr(rel),
        rel.table.qualified()
    );
    Ok(match as_identity(client, caller, &sql)? {
        Ok((_, keys)) => Some(
            keys.split('\u{1e}')
                .filter(|k| !k.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        Err(state) if state == "42501" => Some(BTreeSet::new()),
        Err(_) => None,
    })
}

/// Whether the identity could update (touching `column`) or delete the row `key` of `rel`
/// through the table itself. A failure that is not about access (a foreign key, a check) says
/// the policy let the statement through.
pub fn writable(
    client: &mut Client,
    caller: &Caller,
    rel: &Relation,
    key: &str,
    kind: WriteKind,
    column: &str,
) -> Result<bool, postgres::Error> {
    let filter = format!("{} = {}", key_expr(rel), quote_literal(key));
    let table = rel.table.qualified();
    let sql = match kind {
        WriteKind::Update => {
            let c = crate::matrix::quote_ident(column);
            format!("update {table} t set {c} = t.{c} where {filter}")
        }
        WriteKind::Delete => format!("delete from {table} t where {filter}"),
        WriteKind::Insert => return Ok(true),
    };
    Ok(match as_identity(client, caller, &sql)? {
        Ok((n, _)) => n > 0,
        Err(state) => state != "42501",
    })
}

/// Whether the identity's role may insert into `rel` at all: INSERT granted, and with row level
/// security on, a permissive INSERT (or ALL) policy for the role.
pub fn insertable(
    client: &mut Client,
    caller: &Caller,
    rel: &Relation,
) -> Result<bool, postgres::Error> {
    let row = client.query_one(
        "select has_table_privilege($1, $2::text::regclass, 'INSERT')
                and (not c.relrowsecurity or exists (
                  select 1 from pg_policy p
                  where p.polrelid = c.oid and p.polpermissive and p.polcmd in ('a', '*')
                    and (0::oid = any(p.polroles)
                         or exists (select 1 from pg_roles r
                                    where r.oid = any(p.polroles) and pg_has_role($1, r.oid, 'MEMBER')))))
         from pg_class c where c.oid = $2::text::regclass",
        &[&caller.identity.role, &rel.table.qualified()],
    )?;
    Ok(row.get(0))
}
