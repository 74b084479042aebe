-- A member makes themself owner through an update policy on their own membership.
-- Run against `rlsgate --project examples/orgs db`: psql "$URI" -X -f examples/orgs/holdout/proofs/01_member_promotes_self.sql
-- Each check runs on the fixed project, then again with holdout/01_member_promotes_self.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir ../../proofs/seed.sql

insert into checks (who, what, statement) values
  ('alice', 'sets her own role to owner', $$update public.account_user set account_role = 'owner' where user_id = 'a11ce000-0000-4000-8000-000000000000'$$),
  ('bob', 'sets his own role to owner', $$update public.account_user set account_role = 'owner' where user_id = 'b0b00000-0000-4000-8000-000000000000'$$),
  ('alice', 'sets carol''s role', $$update public.account_user set account_role = 'owner' where user_id = 'ca201000-0000-4000-8000-000000000000'$$);
insert into checks (who, what, setup, statement) values
  ('alice', 'promotes herself, then reads billing',
   $$update public.account_user set account_role = 'owner' where user_id = 'a11ce000-0000-4000-8000-000000000000'$$,
   $$select * from public.billing_customers$$),
  ('alice', 'promotes herself, then reads invitations',
   $$update public.account_user set account_role = 'owner' where user_id = 'a11ce000-0000-4000-8000-000000000000'$$,
   $$select * from public.invitations$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../01_member_promotes_self.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
