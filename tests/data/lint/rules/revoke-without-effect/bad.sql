create function public.reset_scores() returns void language sql set search_path = ''
as $$ select 1 $$;
-- PUBLIC still holds EXECUTE, so anon still calls it
revoke execute on function public.reset_scores() from anon;
create function public.admin_stats() returns bigint language sql set search_path = ''
as $$ select 1::bigint $$;
-- meant for authenticated only, but anon keeps the EXECUTE Supabase's default privileges gave it
revoke execute on function public.admin_stats() from public;
grant execute on function public.admin_stats() to authenticated;
-- per-schema defaults cannot take away the global default EXECUTE of PUBLIC
alter default privileges in schema public revoke execute on functions from public;
