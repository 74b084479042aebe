-- expect-fail: table=public.reviews identity=alice command=delete
-- expect-fail: table=public.reviews identity=bob command=delete
-- The delete policy on reviews is rewritten with the wrong party column: reviewee_id where
-- reviewer_id was meant. Authors can no longer delete their reviews, and everyone can delete
-- the reviews written about them: the bad ones first.
-- proof (proofs/01_reviews_deleted_by_reviewee.sql): bob deletes the 2 reviews about him,
-- carol's 2-star one included, and cannot delete his own review of alice (before: 0 and 1).
drop policy "Reviewers delete their reviews" on public.reviews;
create policy "Reviewers delete their reviews"
  on public.reviews for delete to authenticated
  using (reviewee_id = (select auth.uid()));
