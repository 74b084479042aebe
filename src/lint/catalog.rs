//! Catalog lint: read the migrated database into a [`Model`] with queries over `pg_catalog`,
//! then run the same rules as the static lint. What the catalog says is the ground truth; each
//! object is mapped back to the migration statement that created or last altered it.

use std::collections::BTreeSet;

use postgres::{Client, Row};

use super::diagnostic::{Diagnostic, Origin};
use super::model::{
    Extension, Function, Model, Policy, PolicyCommand, Privilege, RelKind, Relation, Trigger,
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
    Ok(check_model(&model, exposed_schemas, provenance))
}

/// Run the catalog rules over a model already read with [`load_model`].
pub fn check_model(
    model: &Model,
    exposed_schemas: &[String],
    provenance: &Provenance,
) -> Vec<Diagnostic> {
    let ctx = Context {
        model,
        files: &provenance.model,
        sources: &provenance.sources,
        exposed_schemas,
        origin: Origin::Catalog,
    };
    let mut out = Vec::new();
    rules::check_all(&ctx, &mut out);
    out
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

const TABLE_PRIVILEGES: [(Privilege, &str); 5] = [
    (Privilege::Select, "SELECT"),
    (Privilege::Insert, "INSERT"),
    (Privilege::Update, "UPDATE"),
    (Privilege::Delete, "DELETE"),
    (Privilege::Truncate, "TRUNCATE"),
];

/// `has_*_privilege(role, ...)` for each API role, as select-list items.
fn privilege_columns(roles: &[String], call: impl Fn(&str) -> String) -> String {
    roles
        .iter()
        .map(|r| call(&r.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The catalog as a model; sites come from `provenance`. A handful of queries whatever the
/// project's size: one per kind of object.
pub fn load_model(client: &mut Client, provenance: &Provenance) -> Result<Model, postgres::Error> {
    Ok(model_of(&read_catalog(client)?, provenance))
}

/// What [`read_catalog`] read: the API roles and the rows of each query.
pub struct CatalogRows {
    roles: Vec<String>,
    relations: Vec<Row>,
    columns: Vec<Row>,
    view_references: Vec<Row>,
    policies: Vec<Row>,
    functions: Vec<Row>,
    triggers: Vec<Row>,
    extensions: Vec<Row>,
}

/// The queries of the catalog lint, one per kind of object. They need nothing from the
/// migration files, so they can run while the files are being read.
pub fn read_catalog(client: &mut Client) -> Result<CatalogRows, postgres::Error> {
    let roles = api_roles(client)?;
    let not_ours = |alias: &str, class: &str| {
        format!(
            "n.nspname not in {SKIP_SCHEMAS} and n.nspname not like 'pg\\_%'
             and not exists (select 1 from pg_depend d
                              where d.classid = '{class}'::regclass and d.objid = {alias}.oid
                                and d.deptype = 'e')"
        )
    };

    let table_privs = privilege_columns(&roles, |r| {
        format!(
            "array[{}]",
            TABLE_PRIVILEGES
                .iter()
                .map(|(_, p)| format!("has_table_privilege('{r}', c.oid, '{p}')"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    let relations = client.query(
        &format!(
            "select c.oid, n.nspname::text, c.relname::text, c.relkind::text, c.relrowsecurity,
                    c.relforcerowsecurity,
                    coalesce(array_to_string(c.reloptions, ','), ''),
                    array(select a.privilege_type::text
                            from aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
                           where a.grantee = 0){}
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relkind in ('r', 'p', 'v', 'm', 'f') and {}",
            if roles.is_empty() {
                String::new()
            } else {
                format!(", {table_privs}")
            },
            not_ours("c", "pg_class")
        ),
        &[],
    )?;
    let oids: Vec<u32> = relations.iter().map(|r| r.get(0)).collect();
    let column_privs = privilege_columns(&roles, |r| {
        format!("has_column_privilege('{r}', a.attrelid, a.attnum, 'UPDATE')")
    });
    let columns = client.query(
        &format!(
            "select a.attrelid, a.attname::text{}
               from pg_attribute a
              where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
              order by a.attrelid, a.attnum",
            if roles.is_empty() {
                String::new()
            } else {
                format!(", {column_privs}")
            }
        ),
        &[&oids],
    )?;
    let view_references = client.query(
        "select distinct rw.ev_class, rn.nspname::text, rc.relname::text
           from pg_rewrite rw
           join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = rw.oid
                           and d.refclassid = 'pg_class'::regclass
           join pg_class rc on rc.oid = d.refobjid
           join pg_namespace rn on rn.oid = rc.relnamespace
          where rw.ev_class = any($1::oid[]) and rc.oid <> rw.ev_class
          order by 1, 2, 3",
        &[&oids],
    )?;
    let policies = client.query(
        "select schemaname::text, tablename::text, policyname::text, permissive = 'PERMISSIVE',
                cmd::text, roles::text[], qual, with_check
           from pg_policies order by 1, 2, 3",
        &[],
    )?;
    let function_privs = privilege_columns(&roles, |r| {
        format!("has_function_privilege('{r}', p.oid, 'EXECUTE')")
    });
    let functions = client.query(
        &format!(
            "select n.nspname::text, p.proname::text, oidvectortypes(p.proargtypes), p.pronargs::int,
                    p.prosecdef, coalesce(array_to_string(p.proconfig, ','), ''), l.lanname::text,
                    coalesce(p.prosrc, ''), p.prorettype in ('trigger'::regtype, 'event_trigger'::regtype),
                    exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                             where a.grantee = 0 and a.privilege_type = 'EXECUTE'),
                    p.prorettype = 'boolean'::regtype{}
               from pg_proc p
               join pg_namespace n on n.oid = p.pronamespace
               join pg_language l on l.oid = p.prolang
              where p.prokind in ('f', 'p') and {}
              order by 1, 2, 3",
            if roles.is_empty() { String::new() } else { format!(", {function_privs}") },
            not_ours("p", "pg_proc")
        ),
        &[],
    )?;
    let triggers = client.query(
        "select n.nspname::text, c.relname::text, t.tgname::text, pn.nspname::text,
                p.proname::text, t.tgtype::int
           from pg_trigger t
           join pg_class c on c.oid = t.tgrelid
           join pg_namespace n on n.oid = c.relnamespace
           join pg_proc p on p.oid = t.tgfoid
           join pg_namespace pn on pn.oid = p.pronamespace
          where not t.tgisinternal and t.tgrelid = any($1::oid[])
          order by 1, 2, 3",
        &[&oids],
    )?;
    let extensions = client.query(
        "select e.extname::text, n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace order by 1",
        &[],
    )?;
    Ok(CatalogRows {
        roles,
        relations,
        columns,
        view_references,
        policies,
        functions,
        triggers,
        extensions,
    })
}

/// The catalog rows as a model; sites come from `provenance`.
pub fn model_of(rows: &CatalogRows, provenance: &Provenance) -> Model {
    let roles = &rows.roles;
    let mut model = Model::default();
    let from_files = &provenance.model;
    let mut by_oid = std::collections::HashMap::new();
    for row in &rows.relations {
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
        let public: Vec<String> = row.get(7);
        let public: BTreeSet<Privilege> = TABLE_PRIVILEGES
            .iter()
            .filter(|(_, p)| public.iter().any(|x| x == p))
            .map(|(p, _)| *p)
            .collect();
        if !public.is_empty() {
            r.privileges.insert("public".into(), public);
        }
        for (k, role) in roles.iter().enumerate() {
            let held: Vec<bool> = row.get(8 + k);
            let privs: BTreeSet<Privilege> = TABLE_PRIVILEGES
                .iter()
                .zip(held)
                .filter(|(_, h)| *h)
                .map(|((p, _), _)| *p)
                .collect();
            if privs.contains(&Privilege::Truncate) {
                let explicit =
                    static_rel.and_then(|s| s.truncate_granted_at.get(role).copied().flatten());
                r.truncate_granted_at.insert(role.clone(), explicit);
            }
            r.privileges.insert(role.clone(), privs);
        }
        by_oid.insert(oid, name.clone());
        model.relations.insert(name, r);
    }
    for row in &rows.columns {
        let Some(r) = by_oid
            .get(&row.get::<_, u32>(0))
            .and_then(|n| model.relations.get_mut(n))
        else {
            continue;
        };
        let column: String = row.get(1);
        for (k, role) in roles.iter().enumerate() {
            if row.get::<_, bool>(2 + k) {
                r.column_privileges
                    .entry(role.clone())
                    .or_default()
                    .entry(Privilege::Update)
                    .or_default()
                    .insert(column.clone());
            }
        }
        r.columns.get_or_insert_with(Vec::new).push(column);
    }

    for row in &rows.view_references {
        let Some(r) = by_oid
            .get(&row.get::<_, u32>(0))
            .and_then(|n| model.relations.get_mut(n))
        else {
            continue;
        };
        if matches!(r.kind, RelKind::View | RelKind::MaterializedView) {
            r.references.push(QualifiedName::new(
                row.get::<_, String>(1),
                row.get::<_, String>(2),
            ));
        }
    }

    for row in &rows.policies {
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
        let to_written = from_files
            .policies
            .iter()
            .find(|p| p.table == table && p.name == name)
            .is_none_or(|p| p.to_written);
        model.policies.push(Policy {
            table,
            name,
            permissive: row.get(3),
            command,
            roles: row.get::<_, Vec<String>>(5),
            using: row.get(6),
            with_check: row.get(7),
            site,
            to_written,
        });
    }

    for row in &rows.functions {
        let name = QualifiedName::new(row.get::<_, String>(0), row.get::<_, String>(1));
        let mut executable_by = BTreeSet::new();
        if row.get::<_, bool>(9) {
            executable_by.insert("public".to_string());
        }
        for (k, role) in roles.iter().enumerate() {
            if row.get::<_, bool>(11 + k) {
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
            returns_boolean: row.get(10),
            executable_by,
        });
    }

    for row in &rows.triggers {
        let table = QualifiedName::new(row.get::<_, String>(0), row.get::<_, String>(1));
        let name: String = row.get(2);
        let tgtype: i32 = row.get(5);
        let events = [
            (4, PolicyCommand::Insert),
            (8, PolicyCommand::Delete),
            (16, PolicyCommand::Update),
        ]
        .into_iter()
        .filter(|(bit, _)| tgtype & bit != 0)
        .map(|(_, c)| c)
        .collect();
        let site = from_files
            .triggers
            .iter()
            .find(|t| t.table == table && t.name == name)
            .and_then(|t| t.site);
        model.triggers.push(Trigger {
            table,
            name,
            function: QualifiedName::new(row.get::<_, String>(3), row.get::<_, String>(4)),
            before: tgtype & 2 != 0,
            events,
            site,
        });
    }

    for row in &rows.extensions {
        let name: String = row.get(0);
        model.extensions.push(Extension {
            site: provenance.site(&ObjectKey::extension(&name)),
            name,
            schema: row.get(1),
        });
    }
    model
}
