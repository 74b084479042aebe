-- Hosts record bookings for any guest, then review them.
-- Run against `rlsgate --project examples/bookings db`: psql "$URI" -X -f examples/bookings/proofs/06_hosts_create_bookings.sql
-- Each check runs on the fixed project, then again with regressions/06_hosts_create_bookings.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'books her loft for carol', $$insert into public.bookings (listing_id, host_id, guest_id, check_in, check_out, status) values ('10000000-0000-4000-8000-00000000000a', 'a11ce000-0000-4000-8000-000000000000', 'ca201000-0000-4000-8000-000000000000', '2024-12-01', '2024-12-02', 'completed')$$),
  ('bob', 'books his cabin for carol', $$insert into public.bookings (listing_id, host_id, guest_id, check_in, check_out) values ('10000000-0000-4000-8000-00000000000b', 'b0b00000-0000-4000-8000-000000000000', 'ca201000-0000-4000-8000-000000000000', '2024-12-01', '2024-12-02')$$),
  ('bob', 'books alice''s loft for carol', $$insert into public.bookings (listing_id, host_id, guest_id, check_in, check_out) values ('10000000-0000-4000-8000-00000000000a', 'a11ce000-0000-4000-8000-000000000000', 'ca201000-0000-4000-8000-000000000000', '2024-12-01', '2024-12-02')$$),
  ('alice', 'requests bob''s cabin as guest', $$insert into public.bookings (listing_id, host_id, guest_id, check_in, check_out) values ('10000000-0000-4000-8000-00000000000b', 'b0b00000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', '2024-12-01', '2024-12-02')$$);
insert into checks (who, what, setup, statement) values
  ('alice', 'books carol, then reviews her with one star',
   $$insert into public.bookings (id, listing_id, host_id, guest_id, check_in, check_out) values ('20000000-0000-4000-8000-000000000009', '10000000-0000-4000-8000-00000000000a', 'a11ce000-0000-4000-8000-000000000000', 'ca201000-0000-4000-8000-000000000000', '2024-12-01', '2024-12-02')$$,
   $$insert into public.reviews (booking_id, reviewee_id, rating, body) values ('20000000-0000-4000-8000-000000000009', 'ca201000-0000-4000-8000-000000000000', 1, 'Trashed the place')$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/06_hosts_create_bookings.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
