-- expect-fail: table=public.conversations identity=alice command=update
-- The update policy's WITH CHECK only asks for a signed-in user, so an owner can hand a
-- conversation (and its messages) to someone else.
drop policy "Users can update their own conversations" on public.conversations;
create policy "Users can update their own conversations" on public.conversations
  for update to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) is not null);
