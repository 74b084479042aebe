create function public.reset_scores() returns void language sql set search_path = ''
as $$ select 1 $$;
revoke execute on function public.reset_scores() from public, anon, authenticated;
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;
create function public.ping() returns int language sql set search_path = '' as $$ select 1 $$;
revoke execute on function public.ping() from anon;
grant execute on function public.ping() to anon;
