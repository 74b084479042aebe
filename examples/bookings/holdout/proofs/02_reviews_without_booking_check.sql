-- Reviews without the booking check: anyone reviews anyone.
-- Run against `rlsgate --project examples/bookings db`: psql "$URI" -X -f examples/bookings/holdout/proofs/02_reviews_without_booking_check.sql
-- Each check runs on the fixed project, then again with holdout/02_reviews_without_booking_check.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir ../../proofs/seed.sql

insert into checks (who, what, statement) values
  ('alice', 'reviews carol on booking 2', $$insert into public.reviews (booking_id, reviewee_id, rating) values ('20000000-0000-4000-8000-000000000002', 'ca201000-0000-4000-8000-000000000000', 1)$$),
  ('alice', 'reviews dave on booking 2', $$insert into public.reviews (booking_id, reviewee_id, rating) values ('20000000-0000-4000-8000-000000000002', 'da5e0000-0000-4000-8000-000000000000', 1)$$),
  ('alice', 'reviews as carol', $$insert into public.reviews (booking_id, reviewer_id, reviewee_id, rating) values ('20000000-0000-4000-8000-000000000003', 'ca201000-0000-4000-8000-000000000000', 'da5e0000-0000-4000-8000-000000000000', 1)$$),
  ('alice', 'reviews dave on booking 3 (hers)', $$insert into public.reviews (booking_id, reviewee_id, rating) values ('20000000-0000-4000-8000-000000000003', 'da5e0000-0000-4000-8000-000000000000', 4)$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../02_reviews_without_booking_check.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
