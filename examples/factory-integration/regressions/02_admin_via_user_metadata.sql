-- expect-fail: table=factory_app.audit_log identity=mallory command=select
-- expect-fail: table=factory_app.audit_log identity=admin command=select
-- The admin check is "simplified" to a JWT claim, read from user_metadata, which every user
-- can set on themselves. Real admins (a profile row) lose access; self-declared ones gain it.
create or replace function factory_private.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin', false);
$$;
