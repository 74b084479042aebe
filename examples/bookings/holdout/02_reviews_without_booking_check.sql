-- expect-fail: table=public.reviews identity=alice command=insert
-- The review insert policy is trimmed to "you write as yourself": the check that the booking
-- is the reviewer's and that the reviewee is its other party goes. Anyone reviews anyone on
-- any booking id they come across.
-- proof (holdout/proofs/02_reviews_without_booking_check.sql): alice reviews carol on booking 2
-- (bob's) and dave on it too (before: refused); writing as carol stays refused.
drop policy "Parties review the other party of their booking" on public.reviews;
create policy "Users write reviews as themselves"
  on public.reviews for insert to authenticated
  with check (reviewer_id = (select auth.uid()));
