-- The fixed project: what each person really reads and changes.
-- Run against `rlsgate --project examples/bookings db`: psql "$URI" -X -f examples/bookings/proofs/fixed.sql
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  -- profiles and listings: public; own edits
  ('anon', 'profiles', $$select * from public.profiles$$),
  ('alice', 'renames every profile', $$update public.profiles set display_name = 'x'$$),
  ('anon', 'listings', $$select * from public.listings$$),
  ('alice', 'lists a place as herself', $$insert into public.listings (title, city, nightly_price) values ('Room', 'Utrecht', 50)$$),
  ('alice', 'lists a place as bob', $$insert into public.listings (host_id, title, city, nightly_price) values ('b0b00000-0000-4000-8000-000000000000', 'Room', 'Utrecht', 50)$$),
  ('alice', 'edits every listing', $$update public.listings set nightly_price = 1$$),
  ('alice', 'hands her listing to bob', $$update public.listings set host_id = 'b0b00000-0000-4000-8000-000000000000' where id = '10000000-0000-4000-8000-00000000000a'$$),
  ('alice', 'deletes every listing', $$delete from public.listings$$),
  ('anon', 'lists a place', $$insert into public.listings (title, city, nightly_price) values ('Room', 'Utrecht', 50)$$),
  -- bookings: the two parties read; the guest requests; the host confirms, cancels, deletes
  ('alice', 'bookings she sees', $$select * from public.bookings$$),
  ('alice', 'bookings she hosts', $$select * from public.bookings where host_id = 'a11ce000-0000-4000-8000-000000000000'$$),
  ('alice', 'bookings she is the guest of', $$select * from public.bookings where guest_id = 'a11ce000-0000-4000-8000-000000000000'$$),
  ('carol', 'bookings she sees', $$select * from public.bookings$$),
  ('alice', 'booking 2 (bob hosts carol)', $$select * from public.bookings where id = '20000000-0000-4000-8000-000000000002'$$),
  ('alice', 'requests bob''s cabin', $$insert into public.bookings (listing_id, host_id, guest_id, check_in, check_out) values ('10000000-0000-4000-8000-00000000000b', 'b0b00000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', '2024-11-01', '2024-11-03')$$),
  ('alice', 'requests it, already confirmed', $$insert into public.bookings (listing_id, host_id, guest_id, check_in, check_out, status) values ('10000000-0000-4000-8000-00000000000b', 'b0b00000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', '2024-11-01', '2024-11-03', 'confirmed')$$),
  ('alice', 'books bob''s cabin for carol', $$insert into public.bookings (listing_id, host_id, guest_id, check_in, check_out) values ('10000000-0000-4000-8000-00000000000b', 'b0b00000-0000-4000-8000-000000000000', 'ca201000-0000-4000-8000-000000000000', '2024-11-01', '2024-11-03')$$),
  ('alice', 'books bob''s cabin, naming dave host', $$insert into public.bookings (listing_id, host_id, guest_id, check_in, check_out) values ('10000000-0000-4000-8000-00000000000b', 'da5e0000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', '2024-11-01', '2024-11-03')$$),
  ('alice', 'confirms every booking', $$update public.bookings set status = 'confirmed'$$),
  ('alice', 'cancels booking 1 (hosts it)', $$update public.bookings set status = 'cancelled' where id = '20000000-0000-4000-8000-000000000001'$$),
  ('alice', 'cancels booking 3 (guest)', $$update public.bookings set status = 'cancelled' where id = '20000000-0000-4000-8000-000000000003'$$),
  ('alice', 'hands booking 1 to dave', $$update public.bookings set host_id = 'da5e0000-0000-4000-8000-000000000000' where id = '20000000-0000-4000-8000-000000000001'$$),
  ('alice', 'deletes every booking', $$delete from public.bookings$$),
  ('alice', 'deletes booking 3 (guest)', $$delete from public.bookings where id = '20000000-0000-4000-8000-000000000003'$$),
  ('anon', 'bookings', $$select * from public.bookings$$),
  -- messages: both parties read and write, as themselves
  ('alice', 'messages she sees', $$select * from public.messages$$),
  ('carol', 'messages she sees', $$select * from public.messages$$),
  ('alice', 'writes on booking 1 (host)', $$insert into public.messages (booking_id, body) values ('20000000-0000-4000-8000-000000000001', 'Welcome')$$),
  ('alice', 'writes on booking 3 (guest)', $$insert into public.messages (booking_id, body) values ('20000000-0000-4000-8000-000000000003', 'Thanks')$$),
  ('alice', 'writes on booking 2', $$insert into public.messages (booking_id, body) values ('20000000-0000-4000-8000-000000000002', 'Hi')$$),
  ('alice', 'writes on booking 1 as bob', $$insert into public.messages (booking_id, sender_id, body) values ('20000000-0000-4000-8000-000000000001', 'b0b00000-0000-4000-8000-000000000000', 'I cancel')$$),
  ('alice', 'edits every message', $$update public.messages set body = 'x'$$),
  ('alice', 'deletes every message', $$delete from public.messages$$),
  ('anon', 'messages', $$select * from public.messages$$),
  -- reviews: public; a party reviews the other party; the author edits and deletes
  ('anon', 'reviews', $$select * from public.reviews$$),
  ('alice', 'reviews dave (booking 3)', $$insert into public.reviews (booking_id, reviewee_id, rating) values ('20000000-0000-4000-8000-000000000003', 'da5e0000-0000-4000-8000-000000000000', 5)$$),
  ('alice', 'reviews carol (not her booking)', $$insert into public.reviews (booking_id, reviewee_id, rating) values ('20000000-0000-4000-8000-000000000002', 'ca201000-0000-4000-8000-000000000000', 1)$$),
  ('alice', 'reviews bob again, as carol', $$insert into public.reviews (booking_id, reviewer_id, reviewee_id, rating) values ('20000000-0000-4000-8000-000000000001', 'ca201000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000', 1)$$),
  ('alice', 'reviews herself', $$insert into public.reviews (booking_id, reviewee_id, rating) values ('20000000-0000-4000-8000-000000000003', 'a11ce000-0000-4000-8000-000000000000', 5)$$),
  ('alice', 'rates every review 1', $$update public.reviews set rating = 1$$),
  ('alice', 'deletes every review', $$delete from public.reviews$$),
  ('bob', 'deletes every review', $$delete from public.reviews$$),
  ('anon', 'deletes every review', $$delete from public.reviews$$),
  -- the view and the materialized view
  ('alice', 'booking_details rows', $$select * from public.booking_details$$),
  ('carol', 'booking_details rows', $$select * from public.booking_details$$),
  ('alice', 'writes through booking_details', $$update public.booking_details set status = 'confirmed'$$),
  ('anon', 'booking_details', $$select * from public.booking_details$$),
  ('alice', 'listing_stats', $$select * from public.listing_stats$$),
  ('anon', 'listing_stats', $$select * from public.listing_stats$$);

select who, what, pg_temp.probe(who, statement, setup) as result from checks order by n;
rollback;
