create table public.posts (id int, author uuid, published boolean);
alter table public.posts enable row level security;
create policy "public read" on public.posts for select to anon, authenticated using (published);
create policy "service" on public.posts for all to service_role using (true) with check (true);
create policy "authors edit" on public.posts for update to authenticated
  using ((select auth.uid()) = author) with check ((select auth.uid()) = author);
