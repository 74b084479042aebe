create table public.reports (id int);
alter table public.reports enable row level security;
create policy "admins read" on public.reports for select to authenticated
  using ((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');

create function public.is_admin() returns boolean language sql stable set search_path = ''
as $$ select exists (select 1 from auth.users u where u.id = auth.uid() and u.raw_user_meta_data ->> 'admin' = 'true') $$;
create policy "admins write" on public.reports for insert to authenticated with check (public.is_admin());
