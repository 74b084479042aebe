-- users_on_team INSERT WITH CHECK (true): anyone joins any team.
-- Run against `rlsgate --project examples/teams db`: psql "$URI" -X -f examples/teams/proofs/02_anyone_joins_any_team.sql
-- Each check runs on the fixed project, then again with regressions/02_anyone_joins_any_team.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'joins globex as owner', $$insert into public.users_on_team (team_id, user_id, role) values ('00000000-0000-4000-8000-0000000b0001', 'a11ce000-0000-4000-8000-000000000000', 'owner')$$),
  ('bob', 'joins acme', $$insert into public.users_on_team (team_id, user_id) values ('00000000-0000-4000-8000-0000000a0001', 'b0b00000-0000-4000-8000-000000000000')$$),
  ('bob', 'adds carol to globex', $$insert into public.users_on_team (team_id, user_id) values ('00000000-0000-4000-8000-0000000b0001', 'ca201000-0000-4000-8000-000000000000')$$);
insert into checks (who, what, setup, statement) values
  ('alice', 'joins globex, then reads its transactions',
   $$insert into public.users_on_team (team_id, user_id) values ('00000000-0000-4000-8000-0000000b0001', 'a11ce000-0000-4000-8000-000000000000')$$,
   $$select * from public.transactions where team_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('alice', 'joins globex, then reads its bank connections',
   $$insert into public.users_on_team (team_id, user_id) values ('00000000-0000-4000-8000-0000000b0001', 'a11ce000-0000-4000-8000-000000000000')$$,
   $$select * from public.bank_connections where team_id = '00000000-0000-4000-8000-0000000b0001'$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/02_anyone_joins_any_team.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
