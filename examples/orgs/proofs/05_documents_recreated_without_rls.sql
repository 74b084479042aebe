-- documents re-created with LIKE: row level security, policies and grants lost.
-- Run against `rlsgate --project examples/orgs db`: psql "$URI" -X -f examples/orgs/proofs/05_documents_recreated_without_rls.sql
-- Each check runs on the fixed project, then again with regressions/05_documents_recreated_without_rls.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('anon', 'documents', $$select * from public.documents$$),
  ('alice', 'documents she sees', $$select * from public.documents$$),
  ('alice', 'writes a document into globex', $$insert into public.documents (account_id, title) values ('00000000-0000-4000-8000-0000000b0001', 'd')$$),
  ('alice', 'writes a document as carol', $$insert into public.documents (account_id, title, created_by) values ('00000000-0000-4000-8000-0000000a0001', 'd', 'ca201000-0000-4000-8000-000000000000')$$),
  ('bob', 'deletes every document', $$delete from public.documents$$),
  ('anon', 'deletes every document', $$delete from public.documents$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/05_documents_recreated_without_rls.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
