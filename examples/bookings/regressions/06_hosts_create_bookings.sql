-- expect-fail: table=public.bookings identity=alice command=insert
-- expect-fail: table=public.bookings identity=bob command=insert
-- Hosts want to record offline stays, so the insert policy accepts either party as the
-- caller. A host now puts a stay on any user's record, and a booking is all the review policy
-- asks for: fake stays, then fake reviews of the "guest".
-- proof (proofs/06_hosts_create_bookings.sql): alice creates a booking of her loft for carol
-- and bob one of his cabin for carol (before: refused), and alice then reviews carol with one
-- star. Naming another host's listing stays refused.
drop policy "Guests request bookings of a listing from its host" on public.bookings;
create policy "Parties record bookings of a listing from its host"
  on public.bookings for insert to authenticated
  with check (
    (select auth.uid()) in (host_id, guest_id)
    and exists (
      select 1 from public.listings l
      where l.id = bookings.listing_id and l.host_id = bookings.host_id
    )
  );
