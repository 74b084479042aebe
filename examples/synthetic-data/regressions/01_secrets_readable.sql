-- expect-fail: table=public.api_secrets identity=alice command=select
-- "The frontend needs to know which providers are configured": secrets become readable by
-- every signed-in user.
create policy "Authenticated users can read secrets" on public.api_secrets
  for select to authenticated using (true);
