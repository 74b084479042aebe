-- Either party deletes a booking.
-- Run against `rlsgate --project examples/bookings db`: psql "$URI" -X -f examples/bookings/proofs/03_guests_delete_bookings.sql
-- Each check runs on the fixed project, then again with regressions/03_guests_delete_bookings.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('bob', 'deletes booking 1 (guest, confirmed)', $$delete from public.bookings where id = '20000000-0000-4000-8000-000000000001'$$),
  ('alice', 'deletes booking 3 (guest)', $$delete from public.bookings where id = '20000000-0000-4000-8000-000000000003'$$),
  ('alice', 'deletes booking 2 (not a party)', $$delete from public.bookings where id = '20000000-0000-4000-8000-000000000002'$$),
  ('alice', 'deletes every booking', $$delete from public.bookings$$),
  ('bob', 'deletes every booking', $$delete from public.bookings$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/03_guests_delete_bookings.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
