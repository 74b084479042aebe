-- expect-fail: table=public.listing_stats identity=alice command=select
-- expect-fail: table=public.listing_stats identity=bob command=select
-- The host dashboard wants its numbers, so SELECT on listing_stats is granted to signed-in
-- users ("the page filters by host_id"). A materialized view has no row level security: every
-- host's bookings, nights and revenue are readable by every user.
-- proof (proofs/02_listing_stats_exposed.sql): alice reads the stats of all 3 listings, bob's
-- and dave's revenue among them (before: permission denied). rlsgate must refresh the view
-- after placing its rows to see this: at migration time it is empty.
grant select on public.listing_stats to authenticated;
