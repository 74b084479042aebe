-- The current team read from user_metadata, which every user writes.
-- Run against `rlsgate --project examples/teams db`: psql "$URI" -X -f examples/teams/holdout/proofs/01_current_team_from_user_metadata.sql
-- Each check runs on the fixed project, then again with holdout/01_current_team_from_user_metadata.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir ../../proofs/seed.sql

insert into people (name, id, user_metadata) values
  ('alice claiming globex', 'a11ce000-0000-4000-8000-000000000000', jsonb_build_object('team_id', '00000000-0000-4000-8000-0000000b0001')),
  ('alice claiming acme', 'a11ce000-0000-4000-8000-000000000000', jsonb_build_object('team_id', '00000000-0000-4000-8000-0000000a0001'));
insert into checks (who, what, statement) values
  ('alice', 'reads transactions', $$select * from public.transactions$$),
  ('alice claiming acme', 'reads transactions', $$select * from public.transactions$$),
  ('alice claiming globex', 'reads transactions', $$select * from public.transactions$$),
  ('alice claiming globex', 'reads globex transactions', $$select * from public.transactions where team_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('alice claiming globex', 'inserts into globex', $$insert into public.transactions (team_id, date, name, amount, currency, internal_id) values ('00000000-0000-4000-8000-0000000b0001', '2024-06-02', 'x', 1, 'USD', 'x-1')$$),
  ('alice', 'inserts into acme', $$insert into public.transactions (team_id, date, name, amount, currency, internal_id) values ('00000000-0000-4000-8000-0000000a0001', '2024-06-02', 'x', 1, 'USD', 'x-1')$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../01_current_team_from_user_metadata.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
