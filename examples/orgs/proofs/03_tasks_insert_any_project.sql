-- The tasks insert policy without its membership check: tasks land in another account's project.
-- Run against `rlsgate --project examples/orgs db`: psql "$URI" -X -f examples/orgs/proofs/03_tasks_insert_any_project.sql
-- Each check runs on the fixed project, then again with regressions/03_tasks_insert_any_project.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'adds a task to globex project B', $$insert into public.tasks (project_id, title) values ('00000000-0000-4000-8000-0000000b0002', 'pwned')$$),
  ('bob', 'adds a task to acme project A', $$insert into public.tasks (project_id, title) values ('00000000-0000-4000-8000-0000000a0002', 'pwned')$$),
  ('alice', 'adds a task to acme project A', $$insert into public.tasks (project_id, title) values ('00000000-0000-4000-8000-0000000a0002', 't')$$),
  ('alice', 'adds one to project B as bob', $$insert into public.tasks (project_id, title, created_by) values ('00000000-0000-4000-8000-0000000b0002', 't', 'b0b00000-0000-4000-8000-000000000000')$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/03_tasks_insert_any_project.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
