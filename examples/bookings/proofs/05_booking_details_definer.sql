-- booking_details re-created without security_invoker: every booking to everyone.
-- Run against `rlsgate --project examples/bookings db`: psql "$URI" -X -f examples/bookings/proofs/05_booking_details_definer.sql
-- Each check runs on the fixed project, then again with regressions/05_booking_details_definer.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'reads booking_details', $$select * from public.booking_details$$),
  ('alice', 'reads booking 2 there', $$select * from public.booking_details where id = '20000000-0000-4000-8000-000000000002'$$),
  ('carol', 'reads booking_details', $$select * from public.booking_details$$),
  ('anon', 'reads booking_details', $$select * from public.booking_details$$),
  ('alice', 'reads bookings itself', $$select * from public.bookings$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/05_booking_details_definer.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
