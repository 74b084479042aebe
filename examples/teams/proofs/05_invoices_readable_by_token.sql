-- A read-by-token policy that cannot see the token: every invoice to everyone.
-- Run against `rlsgate --project examples/teams db`: psql "$URI" -X -f examples/teams/proofs/05_invoices_readable_by_token.sql
-- Each check runs on the fixed project, then again with regressions/05_invoices_readable_by_token.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('anon', 'reads invoices', $$select * from public.invoices$$),
  ('alice', 'reads invoices', $$select * from public.invoices$$),
  ('alice', 'reads globex invoices', $$select * from public.invoices where team_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('bob', 'reads invoices', $$select * from public.invoices$$),
  ('anon', 'edits invoices', $$update public.invoices set note = 'x'$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/05_invoices_readable_by_token.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
