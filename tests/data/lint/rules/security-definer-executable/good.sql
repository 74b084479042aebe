create schema private;
create function private.exec_sql(sql text) returns void language plpgsql security definer
set search_path = ''
as $$ begin execute sql; end $$;

create function public.user_count() returns bigint language sql security definer set search_path = ''
as $$ select count(*) from auth.users $$;
revoke execute on function public.user_count from public, anon, authenticated;

alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;
create function public.later() returns int language sql security definer set search_path = '' as $$ select 1 $$;

create function public.on_signup() returns trigger language plpgsql security definer set search_path = ''
as $$ begin insert into public.profiles (id) values (new.id); return new; end $$;
