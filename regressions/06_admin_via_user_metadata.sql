-- expect-fail: table=public.api_usage identity=mallory command=select
-- The admin check moves to user_metadata, which every user can write about themselves.
drop policy "Admins can view all usage" on public.api_usage;
create policy "Admins can view all usage" on public.api_usage
  for select to authenticated
  using (((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');
