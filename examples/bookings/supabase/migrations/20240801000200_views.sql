-- booking_details: a booking with its listing, for the trips and reservations pages.
-- security_invoker: each party sees only the bookings the policies let them see (a plain
-- view would run as its owner and list every booking). Read-only through the API.
create view public.booking_details
with (security_invoker = true)
as
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

revoke all on public.booking_details from anon;
revoke insert, update, delete on public.booking_details from authenticated;

-- listing_stats: bookings, nights, revenue and ratings per listing, for the operations
-- dashboard (service role) and the nightly payout job. A materialized view has no row level
-- security, so it stays out of the API roles' reach.
create materialized view public.listing_stats as
select
  l.id as listing_id,
  l.host_id,
  count(b.id) filter (where b.status in ('confirmed', 'completed')) as bookings,
  coalesce(sum(b.check_out - b.check_in) filter (where b.status in ('confirmed', 'completed')), 0)
    as nights,
  coalesce(sum(b.total_price) filter (where b.status in ('confirmed', 'completed')), 0)
    as revenue,
  (select avg(r.rating)::numeric(3, 2) from public.reviews r where r.reviewee_id = l.host_id)
    as host_rating
from public.listings l
left join public.bookings b on b.listing_id = l.id
group by l.id;

create unique index listing_stats_listing_id_idx on public.listing_stats (listing_id);

revoke all on public.listing_stats from anon, authenticated;
