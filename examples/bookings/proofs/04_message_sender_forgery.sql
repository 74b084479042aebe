-- Messages written in the other party's name.
-- Run against `rlsgate --project examples/bookings db`: psql "$URI" -X -f examples/bookings/proofs/04_message_sender_forgery.sql
-- Each check runs on the fixed project, then again with regressions/04_message_sender_forgery.sql applied.
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  ('alice', 'posts on booking 1 as bob', $$insert into public.messages (booking_id, sender_id, body) values ('20000000-0000-4000-8000-000000000001', 'b0b00000-0000-4000-8000-000000000000', 'I cancel')$$),
  ('bob', 'posts on booking 1 as alice', $$insert into public.messages (booking_id, sender_id, body) values ('20000000-0000-4000-8000-000000000001', 'a11ce000-0000-4000-8000-000000000000', 'Pay me in cash')$$),
  ('alice', 'posts on booking 1 as herself', $$insert into public.messages (booking_id, body) values ('20000000-0000-4000-8000-000000000001', 'Welcome')$$),
  ('alice', 'posts on booking 2', $$insert into public.messages (booking_id, body) values ('20000000-0000-4000-8000-000000000002', 'Hi')$$);

create temp table fixed as select n, pg_temp.probe(who, statement, setup) as result from checks;
\ir ../regressions/04_message_sender_forgery.sql
select c.who, c.what, f.result as fixed, pg_temp.probe(c.who, c.statement, c.setup) as with_hole
from checks c join fixed f using (n) order by c.n;
rollback;
