create table public.reports (id int);
alter table public.reports enable row level security;
create policy "admins read" on public.reports for select to authenticated
  using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');
