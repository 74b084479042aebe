-- Owner-only delete of projects open to every member.
-- Run against `rlsgate --project examples/orgs db`: psql "$URI" -X -f examples/orgs/holdout/proofs/02_members_delete_projects.sql
-- Each check runs on the fixed project, then again with holdout/02_members_delete_projects.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir ../../proofs/seed.sql

insert into checks (who, what, statement) values
  ('alice', 'deletes every project', $$delete from public.projects$$),
  ('alice', 'deletes globex project B', $$delete from public.projects where id = '00000000-0000-4000-8000-0000000b0002'$$),
  ('bob', 'deletes every project', $$delete from public.projects$$),
  ('admin', 'deletes every project', $$delete from public.projects$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../02_members_delete_projects.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
