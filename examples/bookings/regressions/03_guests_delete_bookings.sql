-- expect-fail: table=public.bookings identity=alice command=delete
-- expect-fail: table=public.bookings identity=bob command=delete
-- "Guests should be able to withdraw a request": the delete policy is widened to both parties
-- of a booking, without looking at its status. A guest deletes a confirmed booking, and with
-- it the host's record of the stay, its messages and its reviews.
-- proof (proofs/03_guests_delete_bookings.sql): bob deletes booking 1 (confirmed, hosted by
-- alice; before: 0), alice deletes booking 3 where she is the guest; alice still cannot delete
-- booking 2.
drop policy "Hosts delete their bookings" on public.bookings;
create policy "Parties delete their bookings"
  on public.bookings for delete to authenticated
  using ((select auth.uid()) in (host_id, guest_id));
