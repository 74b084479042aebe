-- A member moves their own membership into another team.
-- Run against `rlsgate --project examples/teams db`: psql "$URI" -X -f examples/teams/proofs/03_member_moves_membership.sql
-- Each check runs on the fixed project, then again with regressions/03_member_moves_membership.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'moves her membership to globex', $$update public.users_on_team set team_id = '00000000-0000-4000-8000-0000000b0001' where user_id = 'a11ce000-0000-4000-8000-000000000000'$$),
  ('bob', 'moves his membership to acme', $$update public.users_on_team set team_id = '00000000-0000-4000-8000-0000000a0001' where user_id = 'b0b00000-0000-4000-8000-000000000000'$$),
  ('alice', 'makes herself owner', $$update public.users_on_team set role = 'owner' where user_id = 'a11ce000-0000-4000-8000-000000000000'$$),
  ('alice', 'edits carol''s membership', $$update public.users_on_team set role = 'owner' where user_id = 'ca201000-0000-4000-8000-000000000000'$$);
insert into checks (who, what, setup, statement) values
  ('alice', 'moves to globex, then reads its transactions',
   $$update public.users_on_team set team_id = '00000000-0000-4000-8000-0000000b0001' where user_id = 'a11ce000-0000-4000-8000-000000000000'$$,
   $$select * from public.transactions where team_id = '00000000-0000-4000-8000-0000000b0001'$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/03_member_moves_membership.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
