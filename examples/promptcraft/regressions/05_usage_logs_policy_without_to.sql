-- expect-fail: table=public.api_usage_logs identity=anon command=insert
-- The client starts logging its own usage; the policy has no TO clause and no owner check.
create policy "Clients log usage" on public.api_usage_logs
  for insert with check (true);
