//! Mutants from the migrated catalog: each one statement that weakens one piece of the
//! project's security, and the relations whose probes could notice it.

use std::collections::{BTreeMap, BTreeSet};

use postgres::Client;

use super::flip;
use super::{Mutant, MutantKind};
use crate::matrix::{quote_ident, Command, TableRef};

struct Policy {
    table: TableRef,
    name: String,
    command: String,
    roles: Vec<String>,
    qual: Option<String>,
    with_check: Option<String>,
}

struct Function {
    schema: String,
    name: String,
    arguments: String,
    security_definer: bool,
    returns_boolean: bool,
    source: String,
}

/// Every mutant of the relations in `probed` (tables and views of the exposed schemas).
pub fn generate(client: &mut Client, probed: &[TableRef]) -> Result<Vec<Mutant>, postgres::Error> {
    let schemas: Vec<String> = probed
        .iter()
        .map(|t| t.schema.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let policies = load_policies(client, &schemas)?;
    let functions = load_functions(client)?;
    let footprints = footprints(client, probed, &policies, &functions)?;
    // The mutated table first: its probes are the likeliest to catch the mutant.
    // A write policy (INSERT, UPDATE, DELETE) never changes what anyone reads, so only the
    // relations whose triggers write to the table can notice it besides the table itself.
    let affected = |words: &[&str], own: Option<&TableRef>, reads: bool| -> Vec<TableRef> {
        own.into_iter()
            .chain(probed.iter().filter(|t| Some(*t) != own))
            .filter(|t| {
                Some(*t) == own
                    || footprints.get(*t).is_some_and(|(read, write)| {
                        words
                            .iter()
                            .any(|w| (reads && mentions(read, w)) || mentions(write, w))
                    })
            })
            .cloned()
            .collect()
    };

    let mut mutants = Vec::new();
    let push = |mutants: &mut Vec<Mutant>,
                kind: MutantKind,
                table: Option<TableRef>,
                subject: String,
                sql: String,
                tables: Vec<TableRef>,
                old_roles: &[String]| {
        // Service-role (BYPASSRLS) identities never see a policy or RLS change; a grant to anon
        // reaches only anon; a policy opened to every role changes nothing for its old roles.
        let (only_roles, except_roles) = match kind {
            MutantKind::GrantAnon => (vec!["anon".to_string()], Vec::new()),
            _ => (
                Vec::new(),
                std::iter::once("service_role".to_string())
                    .chain(old_roles.iter().cloned())
                    .collect(),
            ),
        };
        mutants.push(Mutant {
            id: String::new(),
            kind,
            table,
            subject,
            sql,
            tables,
            only_roles,
            except_roles,
            only_commands: Vec::new(),
        });
    };

    for p in policies.iter().filter(|p| probed.contains(&p.table)) {
        let on = format!("{} on {}", quote_ident(&p.name), p.table.qualified());
        let only_commands: Vec<Command> = match p.command.as_str() {
            "all" | "select" => Vec::new(),
            c => Command::parse(c).into_iter().collect(),
        };
        let tables = affected(&[&p.table.name], Some(&p.table), only_commands.is_empty());
        let first = mutants.len();
        let subject = format!(
            "policy \"{}\" on {} ({})",
            p.name,
            p.table.display_name(),
            p.command
        );
        push(
            &mut mutants,
            MutantKind::DropPolicy,
            Some(p.table.clone()),
            subject.clone(),
            format!("drop policy {on}"),
            tables.clone(),
            &[],
        );
        if p.qual.as_deref().is_some_and(|q| !is_true(q)) {
            push(
                &mut mutants,
                MutantKind::UsingTrue,
                Some(p.table.clone()),
                subject.clone(),
                format!("alter policy {on} using (true)"),
                tables.clone(),
                &[],
            );
        }
        if p.with_check.as_deref().is_some_and(|q| !is_true(q)) {
            push(
                &mut mutants,
                MutantKind::CheckTrue,
                Some(p.table.clone()),
                subject.clone(),
                format!("alter policy {on} with check (true)"),
                tables.clone(),
                &[],
            );
        }
        if p.roles != ["public"] {
            push(
                &mut mutants,
                MutantKind::NoTo,
                Some(p.table.clone()),
                format!("{subject} to {}", p.roles.join(", ")),
                format!("alter policy {on} to public"),
                tables.clone(),
                &p.roles,
            );
        }
        for (clause, expr) in [("using", &p.qual), ("with check", &p.with_check)] {
            let Some(expr) = expr else { continue };
            for at in flip::equalities(expr) {
                let flipped = flip::flip_at(expr, at);
                push(
                    &mut mutants,
                    MutantKind::FlipEquality,
                    Some(p.table.clone()),
                    format!("{subject} {clause}: {}", around(expr, at)),
                    format!("alter policy {on} {clause} ({flipped})"),
                    tables.clone(),
                    &[],
                );
            }
        }
        for m in &mut mutants[first..] {
            m.only_commands = only_commands.clone();
        }
    }

    for t in probed {
        let Some((rls, kind, missing, schema_usage)) = table_state(client, t)? else {
            continue;
        };
        let tables = affected(&[&t.name], Some(t), true);
        if rls {
            push(
                &mut mutants,
                MutantKind::DisableRls,
                Some(t.clone()),
                t.display_name(),
                format!("alter table {} disable row level security", t.qualified()),
                tables.clone(),
                &[],
            );
        }
        if !missing.is_empty() && kind != 'm' {
            push(
                &mut mutants,
                MutantKind::GrantAnon,
                Some(t.clone()),
                format!("{} ({})", t.display_name(), missing.join(", ")),
                format!(
                    "{}grant {} on table {} to anon",
                    if schema_usage {
                        String::new()
                    } else {
                        format!("grant usage on schema {} to anon; ", quote_ident(&t.schema))
                    },
                    missing.join(", "),
                    t.qualified()
                ),
                tables,
                &[],
            );
        }
    }

    let policy_text: Vec<&str> = policies
        .iter()
        .flat_map(|p| [p.qual.as_deref(), p.with_check.as_deref()])
        .flatten()
        .collect();
    for f in functions
        .iter()
        .filter(|f| f.security_definer && f.returns_boolean)
    {
        if !policy_text.iter().any(|e| mentions(e, &f.name)) {
            continue;
        }
        let tables = affected(&[&f.name], None, true);
        let name = format!("{}.{}", quote_ident(&f.schema), quote_ident(&f.name));
        push(
            &mut mutants,
            MutantKind::HelperTrue,
            None,
            format!("{}.{}({})", f.schema, f.name, f.arguments),
            format!(
                "create or replace function {name}({}) returns boolean language sql security definer set search_path = '' as $rlsgate$ select true $rlsgate$",
                f.arguments
            ),
            tables,
            &[],
        );
    }
    Ok(mutants)
}

fn is_true(expr: &str) -> bool {
    expr.trim().eq_ignore_ascii_case("true")
}

/// A short excerpt of `expr` around byte `at`, the `=` marked as `<>`.
fn around(expr: &str, at: usize) -> String {
    let flipped = flip::flip_at(expr, at);
    let start = flipped[..at]
        .char_indices()
        .rev()
        .nth(30)
        .map_or(0, |(i, _)| i);
    let end = flipped[at..]
        .char_indices()
        .nth(32)
        .map_or(flipped.len(), |(i, _)| at + i);
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.push_str(&flipped[start..end]);
    if end < flipped.len() {
        s.push('…');
    }
    s
}

/// `word` occurs in `text` as a whole identifier.
pub(crate) fn mentions(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
    text.match_indices(word).any(|(i, _)| {
        !ident(text[..i].chars().next_back()) && !ident(text[i + word.len()..].chars().next())
    })
}

fn load_policies(client: &mut Client, schemas: &[String]) -> Result<Vec<Policy>, postgres::Error> {
    let rows = client.query(
        "select n.nspname::text, c.relname::text, p.polname::text,
                case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                              when 'd' then 'delete' else 'all' end,
                array(select case when r = 0 then 'public' else quote_ident(a.rolname) end
                      from unnest(p.polroles) r left join pg_roles a on a.oid = r order by 1),
                pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
         from pg_policy p
         join pg_class c on c.oid = p.polrelid
         join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = any($1)
         order by 1, 2, 3",
        &[&schemas],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Policy {
            table: TableRef::new(r.get::<_, String>(0), r.get::<_, String>(1)),
            name: r.get(2),
            command: r.get(3),
            roles: r.get(4),
            qual: r.get(5),
            with_check: r.get(6),
        })
        .collect())
}

fn load_functions(client: &mut Client) -> Result<Vec<Function>, postgres::Error> {
    let rows = client.query(
        "select n.nspname::text, p.proname::text, pg_get_function_arguments(p.oid), p.prosecdef,
                p.prorettype = 'boolean'::regtype and not p.proretset, coalesce(p.prosrc, '')
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
           and p.prokind = 'f'
         order by 1, 2, 3",
        &[],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Function {
            schema: r.get(0),
            name: r.get(1),
            arguments: r.get(2),
            security_definer: r.get(3),
            returns_boolean: r.get(4),
            source: r.get(5),
        })
        .collect())
}

/// RLS on, relkind, the table privileges anon lacks, and whether anon may use the schema.
type TableState = (bool, char, Vec<String>, bool);

/// `None` when not a relation.
fn table_state(client: &mut Client, t: &TableRef) -> Result<Option<TableState>, postgres::Error> {
    let row = client.query_opt(
        "select c.relrowsecurity, c.relkind::text,
                array(select p from unnest(array['select','insert','update','delete']) p
                      where not has_table_privilege('anon', c.oid, p)),
                has_schema_privilege('anon', n.oid, 'USAGE')
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relname = $2",
        &[&t.schema, &t.name],
    )?;
    Ok(row.map(|r| {
        let kind: String = r.get(1);
        (
            r.get(0),
            kind.chars().next().unwrap_or('r'),
            r.get(2),
            r.get(3),
        )
    }))
}

/// What each probed relation's probes can run into besides the relation itself, as text: what
/// they read (its policy expressions, its view definition) and what they write (the bodies of
/// its triggers' functions), each with the bodies of every function named (transitively).
fn footprints(
    client: &mut Client,
    probed: &[TableRef],
    policies: &[Policy],
    functions: &[Function],
) -> Result<BTreeMap<TableRef, (String, String)>, postgres::Error> {
    let expand = |mut text: String| {
        let mut included: BTreeSet<usize> = BTreeSet::new();
        loop {
            let before = included.len();
            for (i, f) in functions.iter().enumerate() {
                if !included.contains(&i) && mentions(&text, &f.name) {
                    included.insert(i);
                    text.push('\n');
                    text.push_str(&f.source);
                }
            }
            if included.len() == before {
                return text;
            }
        }
    };
    let mut out = BTreeMap::new();
    for t in probed {
        let row = client.query_one(
            "select coalesce(case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end, ''),
                    coalesce((select string_agg(coalesce(f.prosrc, ''), E'\\n')
                              from pg_trigger g join pg_proc f on f.oid = g.tgfoid
                              where g.tgrelid = c.oid and not g.tgisinternal), '')
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = $1 and c.relname = $2",
            &[&t.schema, &t.name],
        )?;
        let mut read: String = row.get(0);
        for p in policies.iter().filter(|p| &p.table == t) {
            for e in [&p.qual, &p.with_check].into_iter().flatten() {
                read.push('\n');
                read.push_str(e);
            }
        }
        out.insert(t.clone(), (expand(read), expand(row.get(1))));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn mentions_whole_identifiers_only() {
        assert!(mentions(
            "private.owns_conversation(x)",
            "owns_conversation"
        ));
        assert!(mentions("from public.messages m", "messages"));
        assert!(!mentions("from public.messages_archive m", "messages"));
        assert!(!mentions("my_messages", "messages"));
    }
}
