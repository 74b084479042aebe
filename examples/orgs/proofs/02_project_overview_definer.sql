-- project_overview re-created without security_invoker: every account's projects, to everyone.
-- Run against `rlsgate --project examples/orgs db`: psql "$URI" -X -f examples/orgs/proofs/02_project_overview_definer.sql
-- Each check runs on the fixed project, then again with regressions/02_project_overview_definer.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'overview rows', $$select * from public.project_overview$$),
  ('alice', 'globex rows', $$select * from public.project_overview where account_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('bob', 'overview rows', $$select * from public.project_overview$$),
  ('anon', 'overview rows', $$select * from public.project_overview$$),
  ('alice', 'projects table itself', $$select * from public.projects$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/02_project_overview_definer.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
