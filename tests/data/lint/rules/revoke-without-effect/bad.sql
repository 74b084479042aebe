create function public.reset_scores() returns void language sql set search_path = ''
as $$ select 1 $$;
-- PUBLIC still holds EXECUTE, so anon still calls it
revoke execute on function public.reset_scores() from anon;
create function public.admin_stats() returns bigint language sql set search_path = ''
as $$ select 1::bigint $$;
-- anon and authenticated keep the EXECUTE Supabase's default privileges granted them
revoke execute on function public.admin_stats() from public;
-- per-schema defaults cannot take away the global default EXECUTE of PUBLIC
alter default privileges in schema public revoke execute on functions from public;
