-- Either party updates a booking's status: guests confirm themselves.
-- Run against `rlsgate --project examples/bookings db`: psql "$URI" -X -f examples/bookings/holdout/proofs/01_guests_confirm_bookings.sql
-- Each check runs on the fixed project, then again with holdout/01_guests_confirm_bookings.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir ../../proofs/seed.sql

insert into checks (who, what, statement) values
  ('alice', 'confirms booking 3 (guest)', $$update public.bookings set status = 'confirmed' where id = '20000000-0000-4000-8000-000000000003'$$),
  ('bob', 'completes booking 1 (guest)', $$update public.bookings set status = 'completed' where id = '20000000-0000-4000-8000-000000000001'$$),
  ('alice', 'updates booking 2 (not a party)', $$update public.bookings set status = 'cancelled' where id = '20000000-0000-4000-8000-000000000002'$$),
  ('alice', 'hands booking 3 to bob', $$update public.bookings set guest_id = 'b0b00000-0000-4000-8000-000000000000' where id = '20000000-0000-4000-8000-000000000003'$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../01_guests_confirm_bookings.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
