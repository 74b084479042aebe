-- Memberships readable by every signed-in user: who works where, across accounts.
-- Run against `rlsgate --project examples/orgs db`: psql "$URI" -X -f examples/orgs/proofs/04_memberships_readable_by_all.sql
-- Each check runs on the fixed project, then again with regressions/04_memberships_readable_by_all.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'memberships she sees', $$select * from public.account_user$$),
  ('alice', 'globex memberships', $$select * from public.account_user where account_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('bob', 'memberships he sees', $$select * from public.account_user$$),
  ('alice', 'globex documents (still closed)', $$select * from public.documents where account_id = '00000000-0000-4000-8000-0000000b0001'$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/04_memberships_readable_by_all.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
