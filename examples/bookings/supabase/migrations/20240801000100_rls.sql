-- Row level security. Profiles, listings and reviews are public. A booking is read by its two
-- parties; the guest requests it, the host confirms, cancels or deletes it. Either party reads
-- and writes the booking's messages, as themself. A review is written by one party of the
-- booking about the other, and only its author edits or deletes it.

alter table public.profiles enable row level security;
alter table public.listings enable row level security;
alter table public.bookings enable row level security;
alter table public.messages enable row level security;
alter table public.reviews enable row level security;

-- Visitors browse; everything else is for signed-in users.
revoke all on public.bookings, public.messages from anon;
revoke insert, update, delete on public.profiles, public.listings, public.reviews from anon;
-- Profiles come from the signup trigger; a booking's parties, listing and dates are fixed
-- once requested (the host changes its status); messages are never edited; a review's
-- booking and parties are fixed.
revoke insert on public.profiles from authenticated;
revoke update on public.profiles, public.bookings, public.reviews from authenticated;
revoke update, delete on public.messages from authenticated;
grant update (display_name, avatar_url, bio) on public.profiles to authenticated;
grant update (status) on public.bookings to authenticated;
grant update (rating, body) on public.reviews to authenticated;

create policy "Profiles are public"
  on public.profiles for select to anon, authenticated
  using (true);
create policy "Users edit their own profile"
  on public.profiles for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

create policy "Listings are public"
  on public.listings for select to anon, authenticated
  using (true);
create policy "Hosts create their own listings"
  on public.listings for insert to authenticated
  with check (host_id = (select auth.uid()));
create policy "Hosts edit their own listings"
  on public.listings for update to authenticated
  using (host_id = (select auth.uid()))
  with check (host_id = (select auth.uid()));
create policy "Hosts delete their own listings"
  on public.listings for delete to authenticated
  using (host_id = (select auth.uid()));

create policy "Parties read their bookings"
  on public.bookings for select to authenticated
  using ((select auth.uid()) in (host_id, guest_id));
create policy "Guests request bookings of a listing from its host"
  on public.bookings for insert to authenticated
  with check (
    guest_id = (select auth.uid())
    and status = 'requested'
    and exists (
      select 1 from public.listings l
      where l.id = bookings.listing_id and l.host_id = bookings.host_id
    )
  );
create policy "Hosts confirm or cancel their bookings"
  on public.bookings for update to authenticated
  using (host_id = (select auth.uid()))
  with check (host_id = (select auth.uid()));
create policy "Hosts delete their bookings"
  on public.bookings for delete to authenticated
  using (host_id = (select auth.uid()));

create policy "Parties read the messages of their bookings"
  on public.messages for select to authenticated
  using (exists (
    select 1 from public.bookings b
    where b.id = messages.booking_id and (select auth.uid()) in (b.host_id, b.guest_id)
  ));
create policy "Parties write messages of their bookings as themselves"
  on public.messages for insert to authenticated
  with check (
    sender_id = (select auth.uid())
    and exists (
      select 1 from public.bookings b
      where b.id = messages.booking_id and (select auth.uid()) in (b.host_id, b.guest_id)
    )
  );

create policy "Reviews are public"
  on public.reviews for select to anon, authenticated
  using (true);
create policy "Parties review the other party of their booking"
  on public.reviews for insert to authenticated
  with check (
    reviewer_id = (select auth.uid())
    and exists (
      select 1 from public.bookings b
      where b.id = reviews.booking_id
        and ((b.guest_id = reviews.reviewer_id and b.host_id = reviews.reviewee_id)
          or (b.host_id = reviews.reviewer_id and b.guest_id = reviews.reviewee_id))
    )
  );
create policy "Reviewers edit their reviews"
  on public.reviews for update to authenticated
  using (reviewer_id = (select auth.uid()))
  with check (reviewer_id = (select auth.uid()));
create policy "Reviewers delete their reviews"
  on public.reviews for delete to authenticated
  using (reviewer_id = (select auth.uid()));
