create function public.is_admin() returns boolean language sql security definer
set search_path = ''
as $$ select exists (select 1 from public.admins where id = auth.uid()) $$;
create function public.slug(t text) returns text language sql immutable
as $$ select lower(t) $$;
alter function public.slug set search_path = pg_catalog;
