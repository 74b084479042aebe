-- A captured team_id in the reports policy: every member reaches every team's reports.
-- Run against `rlsgate --project examples/teams db`: psql "$URI" -X -f examples/teams/proofs/06_reports_captured_team_id.sql
-- Each check runs on the fixed project, then again with regressions/06_reports_captured_team_id.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'reads reports', $$select * from public.reports$$),
  ('alice', 'reads globex reports', $$select * from public.reports where team_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('bob', 'deletes every report', $$delete from public.reports$$),
  ('alice', 'writes a report into globex', $$insert into public.reports (team_id, type) values ('00000000-0000-4000-8000-0000000b0001', 'profit')$$),
  ('anon', 'reads reports', $$select * from public.reports$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/06_reports_captured_team_id.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
