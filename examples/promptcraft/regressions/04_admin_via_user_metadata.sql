-- expect-fail: table=public.feedback identity=mallory command=select
-- expect-fail: table=public.feedback identity=admin command=select
-- is_admin() is rewritten to read user_metadata, which every user may set on themselves.
create or replace function public.is_admin()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin', false);
$$;
