-- The reviews delete policy on the wrong party column.
-- Run against `rlsgate --project examples/bookings db`: psql "$URI" -X -f examples/bookings/proofs/01_reviews_deleted_by_reviewee.sql
-- Each check runs on the fixed project, then again with regressions/01_reviews_deleted_by_reviewee.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('bob', 'deletes reviews about him', $$delete from public.reviews where reviewee_id = 'b0b00000-0000-4000-8000-000000000000'$$),
  ('bob', 'deletes his own review', $$delete from public.reviews where reviewer_id = 'b0b00000-0000-4000-8000-000000000000'$$),
  ('bob', 'deletes every review', $$delete from public.reviews$$),
  ('alice', 'deletes every review', $$delete from public.reviews$$),
  ('alice', 'deletes her own review', $$delete from public.reviews where reviewer_id = 'a11ce000-0000-4000-8000-000000000000'$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/01_reviews_deleted_by_reviewee.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
