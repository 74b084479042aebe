-- expect-fail: table=public.api_configurations identity=admin command=select
-- "Admins can access all data": an admin read policy is added to api_configurations too, so
-- admins read every user's encrypted provider keys.
create policy "Admins can view api configurations" on public.api_configurations
  for select to authenticated using ((select public.is_admin()));
