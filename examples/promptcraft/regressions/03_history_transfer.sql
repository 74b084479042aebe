-- expect-fail: table=public.prompt_history identity=alice command=update
-- The FOR ALL policy is split and the update half checks the new row for "any signed-in
-- user": history entries can be moved to someone else's account.
drop policy "Users manage own prompt history" on public.prompt_history;
create policy "Users read own prompt history" on public.prompt_history
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Users add own prompt history" on public.prompt_history
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Users edit own prompt history" on public.prompt_history
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) is not null);
create policy "Users delete own prompt history" on public.prompt_history
  for delete to authenticated using ((select auth.uid()) = user_id);
