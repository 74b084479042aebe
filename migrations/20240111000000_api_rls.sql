-- RLS for api_usage and api_keys (tables created in the previous migration).
alter table public.api_usage enable row level security;
alter table public.api_keys enable row level security;

-- api_usage is written by the server (service role). Users read their own usage; admins,
-- marked in app_metadata (which only the server can set), read everyone's.
create policy "Users view their own usage, admins all usage" on public.api_usage
  for select to authenticated
  using (
    (select auth.uid()) = user_id
    or ((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin'
  );

create policy "Users can view their own api keys" on public.api_keys
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Users can create their own api keys" on public.api_keys
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Users can rename their own api keys" on public.api_keys
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "Users can delete their own api keys" on public.api_keys
  for delete to authenticated using ((select auth.uid()) = user_id);

-- Anonymous sign-ins also get the authenticated role. They must never hold API keys: this
-- restrictive policy is ANDed with every permissive one above.
create policy "Anonymous users have no api keys" on public.api_keys
  as restrictive
  for all to authenticated
  using (not coalesce(((select auth.jwt()) ->> 'is_anonymous')::boolean, false))
  with check (not coalesce(((select auth.jwt()) ->> 'is_anonymous')::boolean, false));
