//! Catalog lint: read the migrated database into a [`Model`] with queries over `pg_catalog`,
//! then run the same rules as the static lint. What the catalog says is the ground truth; each
//! object is mapped back to the migration statement that created or last altered it.

use std::collections::BTreeSet;

use postgres::Client;

use super::diagnostic::{Diagnostic, Origin};
use super::model::{
    Extension, Function, Model, Policy, PolicyCommand, Privilege, RelKind, Relation,
};
use super::provenance::{ObjectKey, Provenance};
use super::rules::{self, Context};
use crate::sql::names::QualifiedName;

const SKIP_SCHEMAS: &str = "('pg_catalog', 'information_schema', 'pg_toast', 'auth', 'storage', \
     'extensions', 'graphql', 'graphql_public', 'realtime', 'supabase_functions', \
     'supabase_migrations', 'vault', 'pgsodium', 'net', 'cron', 'pgbouncer', '_rlsgate')";

/// Lint the catalog of a migrated database.
pub fn lint_catalog(
    client: &mut Client,
    exposed_schemas: &[String],
    provenance: &Provenance,
) -> Result<Vec<Diagnostic>, postgres::Error> {
    let model = load_model(client, provenance)?;
    let ctx = Context {
        model: &model,
        sources: &provenance.sources,
        exposed_schemas,
        origin: Origin::Catalog,
    };
    let mut out = Vec::new();
    rules::check_all(&ctx, &mut out);
    Ok(out)
}

fn api_roles(client: &mut Client) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query(
            "select rolname::text from pg_roles where rolname in ('anon', 'authenticated') order by 1",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// The catalog as a model; sites come from `provenance`.
pub fn load_model(client: &mut Client, provenance: &Provenance) -> Result<Model, postgres::Error> {
    let mut model = Model::default();
    let roles = api_roles(client)?;
    let from_files = &provenance.model;

    let relations = client.query(
        &format!(
            "select c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relrowsecurity,
                    c.relforcerowsecurity,
                    coalesce(array_to_string(c.reloptions, ','), '')
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relkind in ('r', 'p', 'v', 'm', 'f')
                and n.nspname not in {SKIP_SCHEMAS} and n.nspname not like 'pg\\_%'
                and not exists (select 1 from pg_depend d
                                 where d.classid = 'pg_class'::regclass and d.objid = c.oid
                                   and d.deptype = 'e')"
        ),
        &[],
    )?;
    for row in &relations {
        let oid: u32 = row.get(0);
        let name = QualifiedName::new(row.get::<_, String>(1), row.get::<_, String>(2));
        let kind = match row.get::<_, String>(3).as_str() {
            "p" => RelKind::PartitionedTable,
            "v" => RelKind::View,
            "m" => RelKind::MaterializedView,
            "f" => RelKind::ForeignTable,
            _ => RelKind::Table,
        };
        let static_rel = from_files.relations.get(&name);
        let mut r = Relation::new(name.clone(), kind, static_rel.and_then(|s| s.created));
        r.rls_enabled = row.get(4);
        r.rls_forced = row.get(5);
        r.rls_enabled_at = static_rel.and_then(|s| s.rls_enabled_at);
        r.rls_disabled_at = static_rel
            .and_then(|s| s.rls_disabled_at)
            .filter(|_| !r.rls_enabled);
        r.rls_enabled_on_dropped = static_rel.and_then(|s| s.rls_enabled_on_dropped);
        r.last_altered = provenance.site(&ObjectKey::relation(&name));
        if r.created.is_none() {
            r.created = r.last_altered;
        }
        let options: String = row.get(6);
        r.security_invoker = options.split(',').any(|o| {
            matches!(
                o.to_ascii_lowercase().as_str(),
                "security_invoker=true" | "security_invoker=on" | "security_invoker=1"
            )
        });
        for role in &roles {
            let held = client.query_one(
                "select has_table_privilege($1, $2::oid, 'SELECT'), has_table_privilege($1, $2::oid, 'INSERT'),
                        has_table_privilege($1, $2::oid, 'UPDATE'), has_table_privilege($1, $2::oid, 'DELETE'),
                        has_table_privilege($1, $2::oid, 'TRUNCATE')",
                &[role, &oid],
            )?;
            let mut privs = BTreeSet::new();
            for (i, p) in [
                Privilege::Select,
                Privilege::Insert,
                Privilege::Update,
                Privilege::Delete,
                Privilege::Truncate,
            ]
            .into_iter()
            .enumerate()
            {
                if held.get::<_, bool>(i) {
                    privs.insert(p);
                }
            }
            if privs.contains(&Privilege::Truncate) {
                let explicit =
                    static_rel.and_then(|s| s.truncate_granted_at.get(role).copied().flatten());
                r.truncate_granted_at.insert(role.clone(), explicit);
            }
            r.privileges.insert(role.clone(), privs);
        }
        if matches!(kind, RelKind::View | RelKind::MaterializedView) {
            r.references = client
                .query(
                    "select distinct rn.nspname::text, rc.relname::text
                       from pg_rewrite rw
                       join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = rw.oid
                                       and d.refclassid = 'pg_class'::regclass
                       join pg_class rc on rc.oid = d.refobjid
                       join pg_namespace rn on rn.oid = rc.relnamespace
                      where rw.ev_class = $1::oid and rc.oid <> $1::oid
                      order by 1, 2",
                    &[&oid],
                )?
                .iter()
                .map(|row| QualifiedName::new(row.get::<_, String>(0), row.get::<_, String>(1)))
                .collect();
        }
        model.relations.insert(name, r);
    }

    for row in client.query(
        "select schemaname::text, tablename::text, policyname::text, permissive = 'PERMISSIVE',
                cmd::text, roles::text[], qual, with_check
           from pg_policies order by 1, 2, 3",
        &[],
    )? {
        let table = QualifiedName::new(row.get::<_, String>(0), row.get::<_, String>(1));
        let name: String = row.get(2);
        let command = match row.get::<_, String>(4).as_str() {
            "SELECT" => PolicyCommand::Select,
            "INSERT" => PolicyCommand::Insert,
            "UPDATE" => PolicyCommand::Update,
            "DELETE" => PolicyCommand::Delete,
            _ => PolicyCommand::All,
        };
        let site = provenance.site(&ObjectKey::policy(&table, &name));
        model.policies.push(Policy {
            table,
            name,
            permissive: row.get(3),
            command,
            roles: row.get::<_, Vec<String>>(5),
            using: row.get(6),
            with_check: row.get(7),
            site,
        });
    }

    for row in client.query(
        &format!(
            "select n.nspname::text, p.proname::text, oidvectortypes(p.proargtypes), p.pronargs::int,
                    p.prosecdef, coalesce(array_to_string(p.proconfig, ','), ''), l.lanname::text,
                    coalesce(p.prosrc, ''), p.prorettype in ('trigger'::regtype, 'event_trigger'::regtype), p.oid
               from pg_proc p
               join pg_namespace n on n.oid = p.pronamespace
               join pg_language l on l.oid = p.prolang
              where p.prokind in ('f', 'p')
                and n.nspname not in {SKIP_SCHEMAS} and n.nspname not like 'pg\\_%'
                and not exists (select 1 from pg_depend d
                                 where d.classid = 'pg_proc'::regclass and d.objid = p.oid
                                   and d.deptype = 'e')
              order by 1, 2, 3"
        ),
        &[],
    )? {
        let name = QualifiedName::new(row.get::<_, String>(0), row.get::<_, String>(1));
        let oid: u32 = row.get(9);
        let mut executable_by = BTreeSet::new();
        for role in &roles {
            let can: bool = client
                .query_one("select has_function_privilege($1, $2::oid, 'EXECUTE')", &[role, &oid])?
                .get(0);
            if can {
                executable_by.insert(role.clone());
            }
        }
        let config: String = row.get(5);
        model.functions.push(Function {
            site: provenance.site(&ObjectKey::function(&name)),
            name,
            args: row.get(2),
            arity: row.get::<_, i32>(3) as usize,
            security_definer: row.get(4),
            search_path_set: config.split(',').any(|c| c.starts_with("search_path=")),
            language: row.get(6),
            body: row.get(7),
            returns_trigger: row.get(8),
            executable_by,
        });
    }

    for row in client.query(
        "select e.extname::text, n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace order by 1",
        &[],
    )? {
        let name: String = row.get(0);
        model.extensions.push(Extension {
            site: provenance.site(&ObjectKey::extension(&name)),
            name,
            schema: row.get(1),
        });
    }
    Ok(model)
}
