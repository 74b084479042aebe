-- expect-fail: table=public.api_usage identity=anon command=insert
-- A policy without TO applies to every role, anon included: anyone can forge usage rows.
create policy "Clients can log their usage" on public.api_usage
  for insert with check (true);
