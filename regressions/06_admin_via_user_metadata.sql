-- expect-fail: table=public.api_usage identity=mallory command=select
-- The admin check moves to user_metadata, which every user can write about themselves.
drop policy "Users view their own usage, admins all usage" on public.api_usage;
create policy "Users view their own usage, admins all usage" on public.api_usage
  for select to authenticated
  using (
    (select auth.uid()) = user_id
    or ((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin'
  );
