-- tracker_entries re-created with its policy but without row level security.
-- Run against `rlsgate --project examples/teams db`: psql "$URI" -X -f examples/teams/proofs/04_tracker_entries_recreated_without_rls.sql
-- Each check runs on the fixed project, then again with regressions/04_tracker_entries_recreated_without_rls.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('anon', 'reads tracker entries', $$select * from public.tracker_entries$$),
  ('alice', 'reads tracker entries', $$select * from public.tracker_entries$$),
  ('alice', 'logs time into globex', $$insert into public.tracker_entries (team_id, duration) values ('00000000-0000-4000-8000-0000000b0001', 60)$$),
  ('bob', 'deletes every entry', $$delete from public.tracker_entries$$),
  ('anon', 'deletes every entry', $$delete from public.tracker_entries$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/04_tracker_entries_recreated_without_rls.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
