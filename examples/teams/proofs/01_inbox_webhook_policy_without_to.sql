-- An inbox insert policy without TO: visitors and members of any team file into any inbox.
-- Run against `rlsgate --project examples/teams db`: psql "$URI" -X -f examples/teams/proofs/01_inbox_webhook_policy_without_to.sql
-- Each check runs on the fixed project, then again with regressions/01_inbox_webhook_policy_without_to.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('anon', 'files into acme''s inbox', $$insert into public.inbox (team_id, file_name) values ('00000000-0000-4000-8000-0000000a0001', 'invoice.pdf')$$),
  ('anon', 'files into globex''s inbox', $$insert into public.inbox (team_id, file_name) values ('00000000-0000-4000-8000-0000000b0001', 'invoice.pdf')$$),
  ('alice', 'files into globex''s inbox', $$insert into public.inbox (team_id, file_name) values ('00000000-0000-4000-8000-0000000b0001', 'invoice.pdf')$$),
  ('alice', 'files into acme''s inbox', $$insert into public.inbox (team_id, file_name) values ('00000000-0000-4000-8000-0000000a0001', 'invoice.pdf')$$),
  ('anon', 'reads inboxes', $$select * from public.inbox$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/01_inbox_webhook_policy_without_to.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
