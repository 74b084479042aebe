-- Functions the app calls through PostgREST's /rpc. Every new function is executable by PUBLIC,
-- and Supabase's default privileges also grant it to anon, authenticated and service_role: each
-- function says who may call it, and policy_specs/api.toml declares the same.

-- Makes a user an administrator (app_metadata.role = 'admin', read by the api_usage policies).
-- It writes auth.users, so it runs as its owner: only the service role (the admin dashboard's
-- server) may call it.
create function public.promote_user(target uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  update auth.users
     set raw_app_meta_data = coalesce(raw_app_meta_data, '{}'::jsonb) || '{"role": "admin"}'::jsonb
   where id = target;
$$;

revoke execute on function public.promote_user(uuid) from public;
revoke execute on function public.promote_user(uuid) from anon;
revoke execute on function public.promote_user(uuid) from authenticated;

-- The caller's conversation count for the sidebar badge. It runs as the caller, so RLS decides
-- what it counts; signed-in users only.
create function public.my_conversation_count()
returns bigint
language sql
stable
set search_path = ''
as $$
  select count(*) from public.conversations where owner_id = auth.uid();
$$;

revoke execute on function public.my_conversation_count() from public;
revoke execute on function public.my_conversation_count() from anon;
