create function public.is_admin() returns boolean language sql security definer
as $$ select exists (select 1 from admins where id = auth.uid()) $$;
create function public.slug(t text) returns text language sql immutable set search_path = ''
as $$ select lower(t) $$;
alter function public.slug(text) reset search_path;
