-- expect-fail: table=public.messages identity=alice command=insert
-- expect-fail: table=public.messages identity=bob command=insert
-- The insert policy on messages drops `sender_id = auth.uid()` ("sender_id defaults to
-- auth.uid() anyway"). A default is only a default: a party writes messages in the other
-- party's name ("I cancel", "pay me outside the platform").
-- proof (proofs/04_message_sender_forgery.sql): alice posts on booking 1 as bob, bob as alice
-- (before: refused by RLS); nobody posts on a booking they are not a party of.
drop policy "Parties write messages of their bookings as themselves" on public.messages;
create policy "Parties write messages of their bookings"
  on public.messages for insert to authenticated
  with check (exists (
    select 1 from public.bookings b
    where b.id = messages.booking_id and (select auth.uid()) in (b.host_id, b.guest_id)
  ));
