//! What the migrated database holds, read from pg_catalog: relations, columns, keys,
//! foreign keys and checks, enough to synthesize rows and aim probes.

use std::collections::HashMap;

use postgres::Client;

use crate::matrix::TableRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelKind {
    Table,
    Partitioned,
    View,
    MaterializedView,
    Foreign,
}

impl RelKind {
    fn from_char(c: i8) -> Option<RelKind> {
        match c as u8 {
            b'r' => Some(RelKind::Table),
            b'p' => Some(RelKind::Partitioned),
            b'v' => Some(RelKind::View),
            b'm' => Some(RelKind::MaterializedView),
            b'f' => Some(RelKind::Foreign),
            _ => None,
        }
    }

    pub fn holds_rows(self) -> bool {
        matches!(self, RelKind::Table | RelKind::Partitioned)
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// `format_type` text, usable in a cast.
    pub sql_type: String,
    /// The base type's name after unwrapping domains (e.g. `text`, `int4`, `_text`).
    pub base_type: String,
    /// `e` enum, `b` base, `d` domain, ...; of the base type.
    pub type_kind: char,
    /// pg_type.typcategory of the base type (`S` string, `N` numeric, `A` array, ...).
    pub category: char,
    pub not_null: bool,
    pub has_default: bool,
    pub identity: bool,
    /// Computed by the database: a generated column, or a view column no write can set
    /// (`case when ... end as kyc_status`).
    pub generated: bool,
    pub enum_labels: Vec<String>,
    pub max_len: Option<usize>,
    /// The default expression, when there is one.
    pub default_expr: Option<String>,
}

impl Column {
    /// A value must be supplied on insert.
    pub fn required(&self) -> bool {
        self.not_null && !self.has_default && !self.identity && !self.generated
    }

    pub fn writable(&self) -> bool {
        !self.generated && !self.identity
    }

    /// The default gives every row a fresh value (a sequence, a random uuid).
    pub fn default_is_unique(&self) -> bool {
        self.default_expr.as_deref().is_some_and(|d| {
            [
                "nextval(",
                "gen_random_uuid(",
                "uuid_generate_v",
                "uuid_generate_v7",
            ]
            .iter()
            .any(|f| d.contains(f))
        })
    }
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub target: TableRef,
    pub target_columns: Vec<String>,
    /// `a` no action, `r` restrict, `c` cascade, `n` set null, `d` set default.
    pub on_delete: char,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub columns: Vec<String>,
    pub definition: String,
}

/// A unique index with expressions among its keys.
#[derive(Debug, Clone)]
pub struct ExpressionKey {
    /// Every column the index reads, in its keys' expressions or its predicate.
    pub columns: Vec<String>,
    /// The index's keys as SQL over the table's unqualified columns, comma-separated.
    pub keys: String,
    pub predicate: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Relation {
    pub oid: u32,
    pub table: TableRef,
    pub kind: RelKind,
    pub rls: bool,
    pub force_rls: bool,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub uniques: Vec<Vec<String>>,
    /// Unique indexes with a WHERE clause: (columns, predicate over the row's columns).
    pub partial_uniques: Vec<(Vec<String>, String)>,
    /// Unique indexes over expressions (`lower(name)`): the columns they read, which a new row
    /// must not copy, and the expressions that collide.
    pub expression_uniques: Vec<ExpressionKey>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
    /// Exposed through the API (in one of the exposed schemas).
    pub exposed: bool,
    /// For a view or materialized view that shows a table's primary key under the same
    /// names: that table. Its rows are then identified by that key (`primary_key` holds it),
    /// and labelled like the table's.
    pub base: Option<TableRef>,
    /// The functions the relation's policies call (by name), and the text of their
    /// expressions: where an error raised while probing comes from.
    pub policy_functions: Vec<String>,
    pub policy_text: String,
}

impl Relation {
    /// The table whose placed rows this relation shows: itself, or a view's base table.
    pub fn row_source(&self) -> &TableRef {
        self.base.as_ref().unwrap_or(&self.table)
    }

    /// The columns of every key a new row must not repeat: the primary key, the unique
    /// constraints and indexes (partial ones too), and those an expression index reads.
    pub fn unique_keys(&self) -> impl Iterator<Item = &Vec<String>> {
        std::iter::once(&self.primary_key)
            .chain(&self.uniques)
            .chain(self.partial_uniques.iter().map(|(k, _)| k))
            .chain(self.expression_uniques.iter().map(|k| &k.columns))
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Columns of a unique key whose default would repeat: a new row must get its own value.
    pub fn needs_fresh_value(&self, column: &Column) -> bool {
        column.writable()
            && column.has_default
            && !column.default_is_unique()
            && std::iter::once(&self.primary_key)
                .chain(&self.uniques)
                .any(|k| k.contains(&column.name))
    }
}

pub struct Catalog {
    pub relations: Vec<Relation>,
    index: HashMap<TableRef, usize>,
}

impl Catalog {
    pub fn get(&self, table: &TableRef) -> Option<&Relation> {
        self.index.get(table).map(|&i| &self.relations[i])
    }

    pub fn exposed(&self) -> impl Iterator<Item = &Relation> {
        self.relations.iter().filter(|r| r.exposed)
    }

    pub fn exposed_tables(&self) -> Vec<TableRef> {
        self.exposed().map(|r| r.table.clone()).collect()
    }

    /// Reads every relation in `schemas`, plus every table they reference by foreign key,
    /// transitively (rows must exist there too), plus Storage's tables when the project uses
    /// Storage.
    pub fn load(client: &mut Client, schemas: &[String]) -> Result<Catalog, postgres::Error> {
        let mut relations = Vec::new();
        let mut index = HashMap::new();
        let storage = storage_tables(client, schemas)?;
        let mut pending: Vec<u32> = client
            .query(
                "select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = any($1) and c.relkind in ('r','p','v','m','f') and not c.relispartition
                 order by n.nspname, c.relname",
                &[&schemas],
            )?
            .iter()
            .map(|r| r.get::<_, u32>(0))
            .chain(storage.iter().copied())
            .collect();
        let mut seen: std::collections::HashSet<u32> = pending.iter().copied().collect();
        while !pending.is_empty() {
            let batch = std::mem::take(&mut pending);
            for mut rel in load_relations(client, &batch, schemas)? {
                rel.exposed |= storage.contains(&rel.oid);
                index.insert(rel.table.clone(), relations.len());
                relations.push(rel);
            }
            // tables referenced by foreign key, and the tables views read
            let referenced: Vec<u32> = client
                .query(
                    "select distinct confrelid from pg_constraint where contype = 'f' and conrelid = any($1)
                     union
                     select distinct d.refobjid from pg_rewrite r
                     join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                       and d.refclassid = 'pg_class'::regclass
                     join pg_class c on c.oid = d.refobjid and c.relkind in ('r', 'p')
                     where r.ev_class = any($1) and d.refobjid <> r.ev_class",
                    &[&batch],
                )?
                .iter()
                .map(|r| r.get::<_, u32>(0))
                .collect();
            for oid in referenced {
                if seen.insert(oid) {
                    pending.push(oid);
                }
            }
        }
        let mut catalog = Catalog { relations, index };
        catalog.find_view_bases(client)?;
        Ok(catalog)
    }

    /// Each view's base table: a table it reads whose primary key columns it shows under the
    /// same names (the one it reads most columns of, when several qualify).
    fn find_view_bases(&mut self, client: &mut Client) -> Result<(), postgres::Error> {
        let views: Vec<u32> = self
            .relations
            .iter()
            .filter(|r| !r.kind.holds_rows())
            .map(|r| r.oid)
            .collect();
        if views.is_empty() {
            return Ok(());
        }
        let mut best: HashMap<u32, (usize, TableRef, Vec<String>)> = HashMap::new();
        for row in client.query(
            "select r.ev_class, d.refobjid, array_agg(distinct a.attname::text)
             from pg_rewrite r
             join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
               and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0
             join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
             where r.ev_class = any($1) and d.refobjid <> r.ev_class
             group by 1, 2",
            &[&views],
        )? {
            let (view, base, read): (u32, u32, Vec<String>) = (row.get(0), row.get(1), row.get(2));
            let Some(base_rel) = self.relations.iter().find(|r| r.oid == base) else {
                continue;
            };
            let Some(view_rel) = self.relations.iter().find(|r| r.oid == view) else {
                continue;
            };
            let key = &base_rel.primary_key;
            let shown = !key.is_empty()
                && base_rel.kind.holds_rows()
                && key
                    .iter()
                    .all(|c| read.contains(c) && view_rel.column(c).is_some());
            if shown && best.get(&view).is_none_or(|(n, _, _)| read.len() > *n) {
                best.insert(view, (read.len(), base_rel.table.clone(), key.clone()));
            }
        }
        for rel in &mut self.relations {
            if let Some((_, base, key)) = best.remove(&rel.oid) {
                rel.base = Some(base);
                rel.primary_key = key;
            }
        }
        Ok(())
    }
}

/// `storage.objects` and `storage.buckets` when the project uses Storage (a policy on either,
/// or a bucket): the Storage API queries them as the request's role with its JWT, as
/// PostgREST does the API schemas, so their policies are the app's file access rules.
fn storage_tables(client: &mut Client, schemas: &[String]) -> Result<Vec<u32>, postgres::Error> {
    if schemas.iter().any(|s| s == "storage") {
        return Ok(Vec::new());
    }
    let oids: Vec<u32> = client
        .query(
            "select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'storage' and c.relname in ('objects', 'buckets') and c.relkind = 'r'",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if oids.len() != 2 {
        return Ok(Vec::new());
    }
    let used: bool = client
        .query_one(
            "select exists (select 1 from pg_policy where polrelid = any($1))
                 or exists (select 1 from storage.buckets)",
            &[&oids],
        )?
        .get(0);
    Ok(if used { oids } else { Vec::new() })
}

fn load_relations(
    client: &mut Client,
    oids: &[u32],
    schemas: &[String],
) -> Result<Vec<Relation>, postgres::Error> {
    let mut rels: Vec<Relation> = Vec::new();
    let mut by_oid: HashMap<u32, usize> = HashMap::new();
    for row in client.query(
        "select c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.oid = any($1) order by n.nspname, c.relname",
        &[&oids],
    )? {
        let Some(kind) = RelKind::from_char(row.get(3)) else {
            continue;
        };
        let schema: String = row.get(1);
        by_oid.insert(row.get(0), rels.len());
        rels.push(Relation {
            oid: row.get(0),
            exposed: schemas.contains(&schema),
            table: TableRef::new(schema, row.get::<_, String>(2)),
            kind,
            rls: row.get(4),
            force_rls: row.get(5),
            columns: Vec::new(),
            primary_key: Vec::new(),
            uniques: Vec::new(),
            partial_uniques: Vec::new(),
            expression_uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            base: None,
            policy_functions: Vec::new(),
            policy_text: String::new(),
        });
    }
    for row in client.query(
        "select a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),
                bt.typname, bt.typtype::text, bt.typcategory::text, a.attnotnull or coalesce(t.typnotnull, false),
                a.atthasdef or t.typdefault is not null, a.attidentity <> '',
                a.attgenerated <> '' or (c.relkind = 'v' and not pg_column_is_updatable(a.attrelid, a.attnum, true)),
                coalesce((select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = bt.oid), '{}'),
                case when bt.typname in ('varchar', 'bpchar') and coalesce(nullif(a.atttypmod, -1), nullif(t.typtypmod, -1)) is not null
                     then coalesce(nullif(a.atttypmod, -1), t.typtypmod) - 4 end,
                pg_get_expr(d.adbin, d.adrelid)
         from pg_attribute a
         join pg_class c on c.oid = a.attrelid
         left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         join pg_type t on t.oid = a.atttypid
         join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
         where a.attrelid = any($1) and a.attnum > 0 and not a.attisdropped
         order by a.attrelid, a.attnum",
        &[&oids],
    )? {
        let Some(&i) = by_oid.get(&row.get::<_, u32>(0)) else { continue };
        let kind: String = row.get(4);
        let category: String = row.get(5);
        rels[i].columns.push(Column {
            name: row.get(1),
            sql_type: row.get(2),
            base_type: row.get(3),
            type_kind: kind.chars().next().unwrap_or('b'),
            category: category.chars().next().unwrap_or('U'),
            not_null: row.get(6),
            has_default: row.get(7),
            identity: row.get(8),
            generated: row.get(9),
            enum_labels: row.get(10),
            max_len: row.get::<_, Option<i32>>(11).map(|n| n.max(1) as usize),
            default_expr: row.get(12),
        });
    }
    for row in client.query(
        "select con.conrelid, con.contype::text, con.conname,
                array(select a.attname::text from unnest(con.conkey) with ordinality k(n, o)
                      join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.o),
                fn.nspname, fc.relname,
                array(select a.attname::text from unnest(con.confkey) with ordinality k(n, o)
                      join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.o),
                con.confdeltype::text, pg_get_constraintdef(con.oid)
         from pg_constraint con
         left join pg_class fc on fc.oid = con.confrelid
         left join pg_namespace fn on fn.oid = fc.relnamespace
         where con.conrelid = any($1) and con.contype in ('p', 'u', 'f', 'c')
         order by con.conrelid, con.conname",
        &[&oids],
    )? {
        let Some(&i) = by_oid.get(&row.get::<_, u32>(0)) else { continue };
        let columns: Vec<String> = row.get(3);
        match row.get::<_, String>(1).as_str() {
            "p" => rels[i].primary_key = columns,
            "u" => rels[i].uniques.push(columns),
            "f" => rels[i].foreign_keys.push(ForeignKey {
                columns,
                target: TableRef::new(row.get::<_, String>(4), row.get::<_, String>(5)),
                target_columns: row.get(6),
                on_delete: row.get::<_, String>(7).chars().next().unwrap_or('a'),
            }),
            _ => rels[i].checks.push(Check { name: row.get(2), columns, definition: row.get(8) }),
        }
    }
    for row in client.query(
        "select i.indrelid,
                array(select a.attname::text from unnest(i.indkey) with ordinality k(n, o)
                      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n order by k.o),
                pg_get_expr(i.indpred, i.indrelid)
         from pg_index i
         where i.indrelid = any($1) and i.indisunique and not i.indisprimary and i.indexprs is null
           and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)",
        &[&oids],
    )? {
        let Some(&i) = by_oid.get(&row.get::<_, u32>(0)) else { continue };
        match row.get::<_, Option<String>>(2) {
            None => rels[i].uniques.push(row.get(1)),
            Some(predicate) => rels[i].partial_uniques.push((row.get(1), predicate)),
        }
    }
    for row in client.query(
        "select i.indrelid,
                array(select distinct a.attname::text from pg_depend d
                      join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                      where d.classid = 'pg_class'::regclass and d.objid = i.indexrelid
                        and d.refclassid = 'pg_class'::regclass and d.refobjid = i.indrelid
                        and d.refobjsubid > 0 order by 1),
                (select string_agg(pg_get_indexdef(i.indexrelid, k, false), ', ' order by k)
                 from generate_series(1, i.indnkeyatts) k),
                pg_get_expr(i.indpred, i.indrelid)
         from pg_index i
         where i.indrelid = any($1) and i.indisunique and i.indexprs is not null",
        &[&oids],
    )? {
        let Some(&i) = by_oid.get(&row.get::<_, u32>(0)) else {
            continue;
        };
        let columns: Vec<String> = row.get(1);
        if !columns.is_empty() {
            rels[i].expression_uniques.push(ExpressionKey {
                columns,
                keys: row.get(2),
                predicate: row.get(3),
            });
        }
    }
    for row in client.query(
        "select p.polrelid,
                string_agg(coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' ||
                           coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), E'\\n'),
                array(select distinct f.proname::text from pg_depend d join pg_proc f on f.oid = d.refobjid
                      join pg_policy q on q.oid = d.objid
                      where d.classid = 'pg_policy'::regclass and d.refclassid = 'pg_proc'::regclass
                        and q.polrelid = p.polrelid)
         from pg_policy p where p.polrelid = any($1) group by p.polrelid",
        &[&oids],
    )? {
        let Some(&i) = by_oid.get(&row.get::<_, u32>(0)) else { continue };
        rels[i].policy_text = row.get(1);
        rels[i].policy_functions = row.get(2);
    }
    Ok(rels)
}
