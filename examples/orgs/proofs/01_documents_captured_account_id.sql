-- A captured column in the documents read policy: every member reads every account's documents.
-- Run against `rlsgate --project examples/orgs db`: psql "$URI" -X -f examples/orgs/proofs/01_documents_captured_account_id.sql
-- Each check runs on the fixed project, then again with regressions/01_documents_captured_account_id.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'documents she sees', $$select * from public.documents$$),
  ('alice', 'globex documents', $$select * from public.documents where account_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('bob', 'documents he sees', $$select * from public.documents$$),
  ('bob', 'acme documents', $$select * from public.documents where account_id = '00000000-0000-4000-8000-0000000a0001'$$),
  ('admin', 'globex documents', $$select * from public.documents where account_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('alice', 'edits globex documents', $$update public.documents set body = 'x' where account_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('anon', 'documents', $$select * from public.documents$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/01_documents_captured_account_id.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
