//! Functions in the exposed schemas, and which identities may execute each: in large
//! Supabase apps nearly every function is SECURITY DEFINER and callable by anon, so they
//! matter as much as tables.

use std::collections::BTreeMap;

use postgres::Client;
use serde::{Deserialize, Serialize};

use crate::matrix::FunctionRef;
use crate::spec::Identity;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionAccess {
    pub function: FunctionRef,
    /// Name and argument list with argument names, e.g. `exec_sql(sql text)`.
    pub signature: String,
    pub security_definer: bool,
    /// `SET search_path` is part of the function's definition.
    pub search_path_pinned: bool,
    /// The body runs dynamic SQL (`EXECUTE`, `format(`).
    pub dynamic_sql: bool,
    pub returns_trigger: bool,
    /// PostgREST can call it through `/rpc`: a plain function (not a procedure, aggregate or
    /// window function) that returns neither `trigger` nor `event_trigger`.
    pub callable: bool,
    /// PUBLIC holds EXECUTE (what every new function gets unless revoked).
    pub public_execute: bool,
    /// Identity name -> may call it: EXECUTE on the function and USAGE on its schema, as the
    /// identity's role (with the roles it inherits, and PUBLIC).
    pub execute: BTreeMap<String, bool>,
}

/// Every function of `schemas` that no extension owns, with its EXECUTE privilege for every
/// identity's role, in one query. A role that does not exist may call nothing.
pub fn load(
    client: &mut Client,
    schemas: &[String],
    identities: &[Identity],
) -> Result<Vec<FunctionAccess>, postgres::Error> {
    let mut roles: Vec<&str> = identities.iter().map(|i| i.role.as_str()).collect();
    roles.sort_unstable();
    roles.dedup();
    let rows = client.query(
        "select n.nspname::text, p.proname::text, oidvectortypes(p.proargtypes),
                p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                p.prosecdef,
                exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%'),
                p.prosrc ~* '\\mexecute\\M|format\\s*\\(',
                p.prorettype = 'trigger'::regtype,
                p.prokind = 'f' and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype),
                p.proacl is null or exists (select 1 from aclexplode(p.proacl) a
                                            where a.grantee = 0 and a.privilege_type = 'EXECUTE'),
                coalesce((select array_agg(r.rolname::text order by r.rolname) from pg_roles r
                          where r.rolname = any($2)
                            and has_function_privilege(r.oid, p.oid, 'EXECUTE')
                            and has_schema_privilege(r.oid, n.oid, 'USAGE')), '{}')
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = any($1) and p.prokind in ('f', 'p')
           and not exists (select 1 from pg_depend d
                           where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
         order by 1, 2, 3",
        &[&schemas, &roles],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let allowed: Vec<String> = row.get(10);
            FunctionAccess {
                function: FunctionRef {
                    schema: row.get(0),
                    name: row.get(1),
                    args: row.get(2),
                },
                signature: row.get(3),
                security_definer: row.get(4),
                search_path_pinned: row.get(5),
                dynamic_sql: row.get(6),
                returns_trigger: row.get(7),
                callable: row.get(8),
                public_execute: row.get(9),
                execute: identities
                    .iter()
                    .map(|i| (i.name.clone(), allowed.contains(&i.role)))
                    .collect(),
            }
        })
        .collect())
}
