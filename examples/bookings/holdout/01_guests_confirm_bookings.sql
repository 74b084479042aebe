-- expect-fail: table=public.bookings identity=alice command=update
-- expect-fail: table=public.bookings identity=bob command=update
-- "Guests should be able to cancel their request": the update policy is widened to both
-- parties. Only `status` may be updated, and the policy does not say to what: the guest
-- confirms their own request.
-- proof (holdout/proofs/01_guests_confirm_bookings.sql): alice confirms booking 3 where she
-- is the guest (before: 0); bob marks booking 1 completed.
drop policy "Hosts confirm or cancel their bookings" on public.bookings;
create policy "Parties update their bookings"
  on public.bookings for update to authenticated
  using ((select auth.uid()) in (host_id, guest_id))
  with check ((select auth.uid()) in (host_id, guest_id));
