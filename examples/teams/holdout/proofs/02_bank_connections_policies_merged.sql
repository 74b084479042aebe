-- Owner-only bank connection writes opened to every member.
-- Run against `rlsgate --project examples/teams db`: psql "$URI" -X -f examples/teams/holdout/proofs/02_bank_connections_policies_merged.sql
-- Each check runs on the fixed project, then again with holdout/02_bank_connections_policies_merged.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir ../../proofs/seed.sql

insert into checks (who, what, statement) values
  ('alice', 'connects a bank to acme', $$insert into public.bank_connections (team_id, institution_id, name) values ('00000000-0000-4000-8000-0000000a0001', 'X', 'X')$$),
  ('alice', 'removes every bank connection', $$delete from public.bank_connections$$),
  ('bob', 'edits every bank connection', $$update public.bank_connections set name = 'x'$$),
  ('alice', 'connects a bank to globex', $$insert into public.bank_connections (team_id, institution_id, name) values ('00000000-0000-4000-8000-0000000b0001', 'X', 'X')$$),
  ('alice', 'reads bank connections', $$select * from public.bank_connections$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../02_bank_connections_policies_merged.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
