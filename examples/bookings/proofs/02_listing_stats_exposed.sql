-- listing_stats granted to signed-in users: every host's revenue.
-- Run against `rlsgate --project examples/bookings db`: psql "$URI" -X -f examples/bookings/proofs/02_listing_stats_exposed.sql
-- Each check runs on the fixed project, then again with regressions/02_listing_stats_exposed.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'reads listing_stats', $$select * from public.listing_stats$$),
  ('alice', 'reads other hosts'' revenue', $$select * from public.listing_stats where host_id <> 'a11ce000-0000-4000-8000-000000000000' and revenue > 0$$),
  ('bob', 'reads listing_stats', $$select * from public.listing_stats$$),
  ('anon', 'reads listing_stats', $$select * from public.listing_stats$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/02_listing_stats_exposed.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
