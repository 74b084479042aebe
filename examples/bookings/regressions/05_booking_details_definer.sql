-- expect-fail: table=public.booking_details identity=alice command=select
-- expect-fail: table=public.booking_details identity=anon command=select
-- booking_details is dropped and re-created to add the number of guests, without
-- security_invoker. It now runs as its owner (postgres, who bypasses RLS) and, as a new view,
-- has Supabase's default grants: every booking, with its parties and price, for everyone.
-- proof (proofs/05_booking_details_definer.sql): alice, carol and anon read all 3 bookings
-- (before: 2, 1 and permission denied).
drop view public.booking_details;
create view public.booking_details as
select
  b.id,
  b.listing_id,
  l.title,
  l.city,
  b.host_id,
  b.guest_id,
  b.check_in,
  b.check_out,
  b.guests,
  b.status,
  b.total_price
from public.bookings b
join public.listings l on l.id = b.listing_id;
