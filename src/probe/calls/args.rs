//! Arguments for a call probe: each input argument of a function, and the values it can take
//! from the synthesized rows (a key or a foreign key of a table, by name and type), classed by
//! whose row they come from; a plain value of its type otherwise.

use std::collections::HashMap;

use postgres::Client;

use crate::matrix::{FunctionRef, RowFacts, TableRef};
use crate::probe::catalog::Catalog;
use crate::probe::rows::TableState;
use crate::spec::Identity;
use crate::sql::quote::quote_literal;

/// One input argument of a function.
#[derive(Debug, Clone)]
pub struct Arg {
    /// Empty for an unnamed argument.
    pub name: String,
    /// `format_type` text, usable in a cast.
    pub sql_type: String,
    /// The base type's name after unwrapping a domain (`uuid`, `text`, `int4`).
    pub base_type: String,
    /// `pg_type.typcategory` of the base type.
    pub category: char,
    /// The first label of an enum type.
    pub enum_first: Option<String>,
    pub has_default: bool,
}

/// What a call probe needs to know of a function beyond its EXECUTE cell.
#[derive(Debug, Clone)]
pub struct Signature {
    pub args: Vec<Arg>,
    /// The function's source text (for PL/pgSQL and SQL functions): the tables it names.
    pub body: String,
    /// Why no call can be made (`None`: callable).
    pub not_callable: Option<String>,
}

/// The input arguments and bodies of every function of `schemas`, keyed like
/// [`super::super::functions::FunctionAccess::function`].
pub fn load(
    client: &mut Client,
    schemas: &[String],
) -> Result<HashMap<FunctionRef, Signature>, postgres::Error> {
    let rows = client.query(
        "select n.nspname::text, p.proname::text, oidvectortypes(p.proargtypes),
                coalesce(p.prosrc, ''), p.pronargs::int, p.pronargdefaults::int,
                coalesce(array(select coalesce(x.nm, '') from unnest(p.proargnames, p.proargmodes::text[])
                               with ordinality as x(nm, md, i)
                               where coalesce(x.md, 'i') in ('i', 'b', 'v') order by x.i), '{}'),
                array(select format_type(u.t, null) from unnest(p.proargtypes::oid[]) with ordinality u(t, i) order by u.i),
                array(select b.typname::text from unnest(p.proargtypes::oid[]) with ordinality u(t, i)
                      join pg_type t on t.oid = u.t
                      join pg_type b on b.oid = coalesce(nullif(t.typbasetype, 0), t.oid) order by u.i),
                array(select b.typcategory::text from unnest(p.proargtypes::oid[]) with ordinality u(t, i)
                      join pg_type t on t.oid = u.t
                      join pg_type b on b.oid = coalesce(nullif(t.typbasetype, 0), t.oid) order by u.i),
                array(select coalesce((select e.enumlabel::text from pg_enum e
                                       where e.enumtypid = coalesce(nullif(t.typbasetype, 0), t.oid)
                                       order by e.enumsortorder limit 1), '')
                      from unnest(p.proargtypes::oid[]) with ordinality u(t, i)
                      join pg_type t on t.oid = u.t order by u.i),
                p.prorettype = 'record'::regtype and p.proallargtypes is null,
                p.provariadic <> 0
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = any($1) and p.prokind = 'f'",
        &[&schemas],
    )?;
    let mut out = HashMap::new();
    for row in rows {
        let function = FunctionRef {
            schema: row.get(0),
            name: row.get(1),
            args: row.get(2),
        };
        let nargs: i32 = row.get(4);
        let ndefaults: i32 = row.get(5);
        let names: Vec<String> = row.get(6);
        let types: Vec<String> = row.get(7);
        let bases: Vec<String> = row.get(8);
        let categories: Vec<String> = row.get(9);
        let enums: Vec<String> = row.get(10);
        let bare_record: bool = row.get(11);
        let variadic: bool = row.get(12);
        let args: Vec<Arg> = (0..nargs as usize)
            .map(|i| Arg {
                name: names.get(i).cloned().unwrap_or_default(),
                sql_type: types.get(i).cloned().unwrap_or_default(),
                base_type: bases.get(i).cloned().unwrap_or_default(),
                category: categories
                    .get(i)
                    .and_then(|c| c.chars().next())
                    .unwrap_or('X'),
                enum_first: enums.get(i).filter(|e| !e.is_empty()).cloned(),
                has_default: (i as i32) >= nargs - ndefaults,
            })
            .collect();
        let not_callable = if bare_record {
            Some("it returns `record` without output columns: a call needs a column list".into())
        } else if variadic {
            Some("it takes a VARIADIC argument".into())
        } else {
            args.iter()
                .find(|a| !a.has_default && plain_value(a).is_none())
                .map(|a| {
                    format!(
                        "rlsgate cannot make a value for argument `{}` of type {}",
                        shown_name(a),
                        a.sql_type
                    )
                })
        };
        out.insert(
            function,
            Signature {
                args,
                body: row.get(3),
                not_callable,
            },
        );
    }
    Ok(out)
}

fn shown_name(arg: &Arg) -> &str {
    if arg.name.is_empty() {
        "(unnamed)"
    } else {
        &arg.name
    }
}

/// A value of the argument's type that stands for nothing in particular.
pub fn plain_value(arg: &Arg) -> Option<String> {
    if let Some(first) = &arg.enum_first {
        return Some(format!("{}::{}", quote_literal(first), arg.sql_type));
    }
    let literal = match (arg.category, arg.base_type.as_str()) {
        (_, "uuid") => "'00000000-0000-0000-0000-000000000000'",
        (_, "json" | "jsonb") => "'{}'",
        ('S', _) => "'rlsgate'",
        ('N', _) => "'1'",
        ('B', _) => "'true'",
        ('D', _) => "now()",
        ('A', _) => "'{}'",
        _ => return None,
    };
    Some(if literal == "now()" {
        format!("now()::{}", arg.sql_type)
    } else {
        format!("{literal}::{}", arg.sql_type)
    })
}

/// Whose row a value comes from, seen from the calling identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Whose {
    Own,
    OtherUser,
    OtherTenant,
}

impl Whose {
    pub fn of(facts: &RowFacts, identity: &Identity) -> Option<Whose> {
        if let Some(tenant) = &facts.tenant {
            return Some(if identity.belongs_to(tenant) {
                Whose::Own
            } else {
                Whose::OtherTenant
            });
        }
        match facts.owner() {
            _ if facts.is_owner(&identity.name) => Some(Whose::Own),
            Some(_) => Some(Whose::OtherUser),
            None => None,
        }
    }
}

/// A value for an argument, taken from a synthesized row.
#[derive(Debug, Clone)]
pub struct KeyValue {
    pub sql: String,
    /// The value as text, to find it in results.
    pub text: String,
    pub whose: Whose,
    pub table: TableRef,
    pub label: String,
}

/// `p_org_id`, `_org_id`, `target_user_id` -> `org_id`, `org_id`, `user_id`.
fn normalized(name: &str) -> String {
    let mut n = name.to_lowercase();
    for prefix in ["p_", "in_", "arg_", "_", "target_", "the_", "v_", "a_"] {
        if let Some(rest) = n.strip_prefix(prefix) {
            if !rest.is_empty() {
                n = rest.to_string();
            }
        }
    }
    n
}

fn compatible(arg: &Arg, column_base: &str, column_category: char) -> bool {
    match (arg.base_type.as_str(), arg.category) {
        ("uuid", _) => column_base == "uuid",
        (_, 'N') => column_category == 'N',
        (_, 'S') => matches!(column_category, 'S') || column_base == "uuid",
        _ => arg.base_type == column_base,
    }
}

fn singular_matches(table: &str, stem: &str) -> bool {
    let table = table.to_lowercase();
    table == stem
        || table == format!("{stem}s")
        || table == format!("{stem}es")
        || stem
            .strip_suffix('y')
            .is_some_and(|s| table == format!("{s}ies"))
}

/// The values `arg` can take from the synthesized rows, first of each [`Whose`], for this
/// identity: a column of the same name (a key or a foreign key), the key of the table the name
/// points at (`booking_id` -> `bookings.id`), or a user's id for a user argument.
pub fn key_values(
    arg: &Arg,
    function: &FunctionRef,
    catalog: &Catalog,
    states: &HashMap<TableRef, TableState>,
    identity: &Identity,
    others: &[&Identity],
) -> Vec<KeyValue> {
    if arg.name.is_empty() || !matches!(arg.category, 'S' | 'N') && arg.base_type != "uuid" {
        return Vec::new();
    }
    let n = normalized(&arg.name);
    let stem = n
        .strip_suffix("_id")
        .or_else(|| n.strip_suffix("id").filter(|s| !s.is_empty()))
        .map(str::to_string);
    let mut found: Vec<KeyValue> = Vec::new();
    let mut take = |column: &str, rel: &crate::probe::catalog::Relation, state: &TableState| {
        let Some(col) = rel.columns.iter().find(|c| c.name == column) else {
            return;
        };
        if !compatible(arg, &col.base_type, col.category) {
            return;
        }
        for row in &state.rows {
            let Some(whose) = Whose::of(&row.facts, identity) else {
                continue;
            };
            if found.iter().any(|k| k.whose == whose) {
                continue;
            }
            let text = match row.json.get(column) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            found.push(KeyValue {
                sql: format!("{}::{}", quote_literal(&text), arg.sql_type),
                text,
                whose,
                table: rel.table.clone(),
                label: row.label.clone(),
            });
        }
    };
    // the key of the table the name points at first (`org_id` -> orgs.id)
    for rel in &catalog.relations {
        let Some(state) = states.get(&rel.table) else {
            continue;
        };
        let key = (rel.primary_key.len() == 1).then(|| rel.primary_key[0].clone());
        let names_table = match &stem {
            Some(stem) => singular_matches(&rel.table.name, stem),
            None => {
                n == "id"
                    && function.name.to_lowercase().contains(
                        rel.table
                            .name
                            .to_lowercase()
                            .trim_end_matches('s')
                            .trim_end_matches("ie"),
                    )
            }
        };
        if let (true, Some(key)) = (names_table, &key) {
            take(key, rel, state);
        }
    }
    // then a column of the same name (a foreign key to that table, or the key itself)
    for rel in catalog.relations.iter().filter(|_| n != "id") {
        if let Some(state) = states.get(&rel.table) {
            take(&n, rel, state);
        }
    }
    let user_like = [
        "user", "uid", "owner", "member", "profile", "author", "creator",
    ];
    if arg.base_type == "uuid" && user_like.iter().any(|w| n.contains(w)) {
        let mut push = |who: &Identity, whose: Whose| {
            if let Some(sub) = &who.sub {
                if !found.iter().any(|k| k.whose == whose) {
                    found.push(KeyValue {
                        sql: format!("{}::{}", quote_literal(sub), arg.sql_type),
                        text: sub.clone(),
                        whose,
                        table: TableRef::new("auth", "users"),
                        label: who.name.clone(),
                    });
                }
            }
        };
        push(identity, Whose::Own);
        if let Some(other) = others.iter().find(|o| o.name != identity.name) {
            push(other, Whose::OtherUser);
        }
    }
    found.sort_by_key(|k| k.whose);
    found
}

/// A few injection payloads for a text argument of a function that runs dynamic SQL: a
/// tautology, unions and errors that carry auth.users' emails, inside a quoted literal or as
/// the whole statement.
pub const INJECTIONS: [&str; 5] = [
    "select cast((select string_agg(email::text, ',') from auth.users) as int)",
    "x' or '1'='1",
    "x' union all select to_jsonb(u)::text from auth.users u --",
    "x' union all select email::text from auth.users --",
    "x' or 1 = cast((select string_agg(email::text, ',') from auth.users) as int) or 'x'='y",
];
