//! Functions in the exposed schemas, and which identities may execute each: in large
//! Supabase apps nearly every function is SECURITY DEFINER and callable by anon, so they
//! matter as much as tables.

use std::collections::BTreeMap;

use postgres::Client;
use serde::{Deserialize, Serialize};

use crate::spec::Identity;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionAccess {
    pub schema: String,
    pub name: String,
    /// Name and argument list, e.g. `exec_sql(sql text)`.
    pub signature: String,
    pub security_definer: bool,
    /// `SET search_path` is part of the function's definition.
    pub search_path_pinned: bool,
    /// The body runs dynamic SQL (`EXECUTE`, `format(`).
    pub dynamic_sql: bool,
    pub returns_trigger: bool,
    /// Identity name -> may call it.
    pub execute: BTreeMap<String, bool>,
}

pub fn load(
    client: &mut Client,
    schemas: &[String],
    identities: &[Identity],
) -> Result<Vec<FunctionAccess>, postgres::Error> {
    let rows = client.query(
        "select p.oid, n.nspname::text, p.proname::text,
                p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                p.prosecdef,
                exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%'),
                p.prosrc ~* '\\mexecute\\M|format\\s*\\(',
                p.prorettype = 'trigger'::regtype
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = any($1) and p.prokind in ('f', 'p')
           and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
         order by 2, 4",
        &[&schemas],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let oid: u32 = row.get(0);
        let mut execute = BTreeMap::new();
        for id in identities {
            let can: bool = client
                .query_one(
                    "select has_function_privilege($1, $2::oid, 'EXECUTE')",
                    &[&id.role, &oid],
                )
                .map(|r| r.get(0))
                .unwrap_or(false);
            execute.insert(id.name.clone(), can);
        }
        out.push(FunctionAccess {
            schema: row.get(1),
            name: row.get(2),
            signature: row.get(3),
            security_definer: row.get(4),
            search_path_pinned: row.get(5),
            dynamic_sql: row.get(6),
            returns_trigger: row.get(7),
            execute,
        });
    }
    Ok(out)
}
