-- project: examples/bookings
-- expect-fail: function=public.booking_thread(uuid) identity=alice
-- expect-fail: function=public.booking_thread(uuid) identity=bob
-- expect-fail: function=public.booking_thread(uuid) identity=anon
-- The inbox loads a booking's thread through an RPC, SECURITY DEFINER "because the join on
-- profiles was slow under RLS". It never checks that the caller is a party of the booking:
-- anyone who has (or guesses from a link) a booking id reads its messages.
create function public.booking_thread(p_booking uuid)
returns setof public.messages
language sql
stable
security definer
set search_path = ''
as $$
  select m.* from public.messages m where m.booking_id = p_booking order by m.created_at;
$$;
