-- project: examples/promptcraft
-- expect-fail: table=public.prompt_history identity=alice command=update
-- expect-fail: table=public.prompt_history identity=bob command=update
-- Starring a history entry gets its own update policy, written with `with check (true)`
-- ("the USING already restricts the row"). Permissive policies are OR-ed, WITH CHECK too: a
-- user may now set user_id on their own entries and hand them to another user.
create policy "Users can star their history" on public.prompt_history
  for update to authenticated
  using ((select auth.uid()) = user_id)
  with check (true);
