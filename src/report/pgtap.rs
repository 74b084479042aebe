//! `rlsgate export pgtap`: the specs as pgTAP test files that `supabase test db` (pg_prove)
//! runs. Each file is one transaction that is rolled back. A table's file places the same rows
//! the probes use, then runs each probe statement impersonating the identity exactly as
//! PostgREST does (`set local role` and `request.jwt.claims`) and asserts what the spec
//! declares; the functions' file asserts who may call each function (EXECUTE on it and USAGE
//! on its schema), as `rlsgate test` judges it.

use std::io::{self, Write};

use crate::matrix::{FunctionRef, TableRef};
use crate::sql::quote_literal;

/// The name of the file about functions.
pub const FUNCTIONS_FILE: &str = "rlsgate_functions.test.sql";

/// The rows one test file places before its assertions, per table (as JSON objects).
#[derive(Debug, Clone)]
pub struct Rows {
    pub table: TableRef,
    pub rows: Vec<String>,
}

/// Who a probe impersonates.
#[derive(Debug, Clone)]
pub struct Impersonation {
    pub name: String,
    pub role: String,
    pub claims: String,
    pub sub: String,
    pub email: String,
}

#[derive(Debug, Clone)]
pub enum Expect {
    /// A SELECT sees exactly `expected` among the placed rows' keys `placed`.
    Keys {
        placed: Vec<String>,
        expected: Vec<String>,
    },
    /// A write statement changes a row (`true`) or is hidden or denied (`false`).
    Writes(bool),
}

/// What one assertion checks.
#[derive(Debug, Clone)]
pub enum Check {
    /// A probe statement run as the identity.
    Probe {
        /// Run as the superuser before impersonating, e.g. clearing child rows.
        prelude: String,
        statement: String,
        expect: Expect,
    },
    /// Whether the identity's role may call the function.
    Execute { function: FunctionRef, allow: bool },
}

#[derive(Debug, Clone)]
pub struct Case {
    /// Index into the file's identities.
    pub identity: usize,
    pub description: String,
    pub check: Check,
}

/// What a test file is about.
#[derive(Debug, Clone)]
pub enum About {
    Relation(TableRef),
    Functions,
}

#[derive(Debug, Clone)]
pub struct TestFile {
    pub about: About,
    /// Where the spec came from, for the header.
    pub specs: Vec<String>,
    pub identities: Vec<Impersonation>,
    pub rows: Vec<Rows>,
    /// SQL run as the superuser after the rows are in place (identities' `setup`).
    pub setup: Vec<String>,
    pub cases: Vec<Case>,
    /// Why some cells are not exported.
    pub notes: Vec<String>,
}

impl TestFile {
    pub fn file_name(&self) -> String {
        let About::Relation(table) = &self.about else {
            return FUNCTIONS_FILE.to_string();
        };
        let safe: String = format!("{}_{}", table.schema, table.name)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("rlsgate_{safe}.test.sql")
    }
}

const HELPERS: &str = r#"
-- Inserts a row given as JSON, with only the columns the table has (generated ones left out);
-- a row a trigger already created (e.g. a profile on signup) is kept.
create function pg_temp.rlsgate_put(tbl regclass, row_json jsonb) returns void
language plpgsql as $fn$
declare cols text;
begin
  select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
  from pg_attribute a
  where a.attrelid = tbl and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    and row_json ? a.attname;
  execute format('insert into %s (%s) overriding system value select %s from jsonb_populate_record(null::%s, $1) on conflict do nothing',
                 tbl, cols, cols, tbl) using row_json;
end
$fn$;

-- Runs one statement as an identity, the way PostgREST sets a request up, in a
-- subtransaction that is always rolled back: 'affected N', 'rows <keys>', 'denied: ...' or
-- 'error SQLSTATE: ...' (the statement did not test the policy).
create function pg_temp.rlsgate_try(p_role text, p_claims text, p_sub text, p_email text,
                                    p_prelude text, p_statement text, p_select boolean)
returns text language plpgsql as $fn$
declare
  n bigint;
  out_text text;
  err_state text;
  err_msg text;
begin
  begin
    if p_prelude <> '' then
      -- The superuser setup of a probe (clearing rows that would collide); without the right
      -- to switch off triggers and foreign keys it runs with them on.
      begin
        begin
          execute p_prelude;
        exception when insufficient_privilege then
          execute regexp_replace(p_prelude, 'set local session_replication_role = \w+;', '', 'g');
        end;
      exception when others then
        get stacked diagnostics err_state = returned_sqlstate, err_msg = message_text;
        raise exception using errcode = 'RLSG1', message = err_state || ': ' || err_msg;
      end;
    end if;
    execute format('set local role %I', p_role);
    perform set_config('request.jwt.claims', p_claims, true);
    perform set_config('request.jwt.claim.sub', p_sub, true);
    perform set_config('request.jwt.claim.role', p_role, true);
    perform set_config('request.jwt.claim.email', p_email, true);
    if p_select then
      execute p_statement into out_text;
      out_text := 'rows ' || coalesce(out_text, '');
    else
      execute p_statement;
      get diagnostics n = row_count;
      out_text := 'affected ' || n;
    end if;
    raise exception using errcode = 'RLSG0', message = out_text;
  exception when others then
    get stacked diagnostics err_state = returned_sqlstate, err_msg = message_text;
    if err_state = 'RLSG0' then return err_msg; end if;
    if err_state = 'RLSG1' then return 'error in the setup, ' || err_msg; end if;
    if err_state = '42501' then return 'denied: ' || err_msg; end if;
    return 'error ' || err_state || ': ' || err_msg;
  end;
end
$fn$;

-- The keys among `placed` that a SELECT's result lists, sorted.
create function pg_temp.rlsgate_seen(result text, placed text[]) returns text[]
language sql as $fn$
  select case when result like 'rows %' then
    coalesce((select array_agg(k order by k) from unnest(string_to_array(substr(result, 6), E'\n')) k
              where k = any(placed)), '{}')
  else array[result] end
$fn$;
"#;

/// A dollar-quoted string whose tag does not occur in `s`.
fn dollar(s: &str) -> String {
    let mut tag = String::from("q");
    while s.contains(&format!("${tag}$")) {
        tag.push('q');
    }
    format!("${tag}${s}${tag}$")
}

fn array(items: &[String]) -> String {
    if items.is_empty() {
        "'{}'::text[]".to_string()
    } else {
        format!(
            "array[{}]::text[]",
            items
                .iter()
                .map(|s| quote_literal(s))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

pub fn write(file: &TestFile, out: &mut dyn Write) -> io::Result<()> {
    let what = match &file.about {
        About::Relation(table) => format!("who may read and write {table}"),
        About::Functions => "who may call which function".to_string(),
    };
    writeln!(
        out,
        "-- Generated by `rlsgate export pgtap` from {}: {what}.",
        if file.specs.is_empty() {
            "policy_specs/".to_string()
        } else {
            file.specs.join(", ")
        },
    )?;
    writeln!(
        out,
        "-- Re-generate instead of editing. Runs with `supabase test db` (pg_prove); everything is rolled back."
    )?;
    for note in &file.notes {
        writeln!(out, "-- note: {note}")?;
    }
    writeln!(out, "begin;")?;
    writeln!(
        out,
        "create extension if not exists pgtap with schema extensions;"
    )?;
    writeln!(out, "set local search_path = public, extensions;")?;
    writeln!(out, "select plan({});", file.cases.len())?;
    if let About::Relation(_) = file.about {
        write_rows(file, out)?;
    }
    let mut current = usize::MAX;
    for case in &file.cases {
        let id = &file.identities[case.identity];
        match &case.check {
            Check::Probe {
                prelude,
                statement,
                expect,
            } => {
                if case.identity != current {
                    current = case.identity;
                    writeln!(
                        out,
                        "\n-- {}: set local role {}, request.jwt.claims = {}",
                        id.name, id.role, id.claims
                    )?;
                }
                write_probe(id, &case.description, prelude, statement, expect, out)?;
            }
            Check::Execute { function, allow } => writeln!(
                out,
                "select is(has_function_privilege({role}, {sig}, 'EXECUTE') and has_schema_privilege({role}, {schema}, 'USAGE'), {allow}, {what});",
                role = quote_literal(&id.role),
                sig = quote_literal(&function.qualified()),
                schema = quote_literal(&function.schema),
                what = quote_literal(&case.description),
            )?,
        }
    }
    writeln!(out, "\nselect * from finish();\nrollback;")
}

/// The helper functions, the rows the probes use and the identities' setup.
fn write_rows(file: &TestFile, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(HELPERS.as_bytes())?;
    writeln!(
        out,
        "\n-- The rows the probes use: the identities' users, then each table after the tables it references."
    )?;
    let mut body = String::new();
    for rows in &file.rows {
        for row in &rows.rows {
            body.push_str(&format!(
                "  perform pg_temp.rlsgate_put({}, {});\n",
                quote_literal(&rows.table.qualified()),
                quote_literal(row)
            ));
        }
    }
    if !body.is_empty() {
        let quoted = dollar(&format!("\nbegin\n{body}end\n"));
        writeln!(out, "do {quoted};")?;
    }
    for sql in &file.setup {
        writeln!(out, "{};", sql.trim().trim_end_matches(';'))?;
    }
    Ok(())
}

fn write_probe(
    id: &Impersonation,
    description: &str,
    prelude: &str,
    statement: &str,
    expect: &Expect,
    out: &mut dyn Write,
) -> io::Result<()> {
    let select = matches!(expect, Expect::Keys { .. });
    let call = format!(
        "pg_temp.rlsgate_try({}, {}, {}, {}, {}, {}, {select})",
        quote_literal(&id.role),
        quote_literal(&id.claims),
        quote_literal(&id.sub),
        quote_literal(&id.email),
        dollar(prelude),
        dollar(statement)
    );
    match expect {
        Expect::Keys { placed, expected } => {
            let mut expected = expected.clone();
            expected.sort();
            writeln!(
                out,
                "select is(pg_temp.rlsgate_seen({call}, {}), {}, {});",
                array(placed),
                array(&expected),
                quote_literal(description)
            )
        }
        Expect::Writes(true) => writeln!(
            out,
            "select matches({call}, '^affected [1-9]', {});",
            quote_literal(description)
        ),
        Expect::Writes(false) => writeln!(
            out,
            "select matches({call}, '^(affected 0|denied: )', {});",
            quote_literal(description)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_quote_avoids_its_tag() {
        assert_eq!(dollar("select 1"), "$q$select 1$q$");
        assert_eq!(dollar("a $q$ b"), "$qq$a $q$ b$qq$");
    }

    #[test]
    fn writes_a_plan_and_one_assertion_per_case() {
        let file = TestFile {
            about: About::Relation(TableRef::new("public", "notes")),
            specs: vec!["policy_specs/notes.toml".into()],
            identities: vec![Impersonation {
                name: "anon".into(),
                role: "anon".into(),
                claims: r#"{"role":"anon"}"#.into(),
                sub: String::new(),
                email: String::new(),
            }],
            rows: vec![Rows {
                table: TableRef::new("public", "notes"),
                rows: vec![r#"{"id":1,"body":"it's"}"#.into()],
            }],
            setup: vec![],
            cases: vec![
                Case {
                    identity: 0,
                    description: "anon: select on notes sees none".into(),
                    check: Check::Probe {
                        prelude: String::new(),
                        statement: "select 1".into(),
                        expect: Expect::Keys {
                            placed: vec!["(1)".into()],
                            expected: vec![],
                        },
                    },
                },
                Case {
                    identity: 0,
                    description: "anon: delete row alice is denied".into(),
                    check: Check::Probe {
                        prelude: String::new(),
                        statement: "delete from notes".into(),
                        expect: Expect::Writes(false),
                    },
                },
            ],
            notes: vec![],
        };
        let mut buf = Vec::new();
        write(&file, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("select plan(2);"));
        assert!(text.contains(
            r#"  perform pg_temp.rlsgate_put('public.notes', '{"id":1,"body":"it''s"}');"#
        ));
        assert!(text
            .contains("array['(1)']::text[]), '{}'::text[], 'anon: select on notes sees none');"));
        assert!(text.contains("'^(affected 0|denied: )', 'anon: delete row alice is denied');"));
        assert!(text.trim_end().ends_with("rollback;"));
        assert_eq!(file.file_name(), "rlsgate_public_notes.test.sql");
    }
}
