create table public.docs (id int, owner uuid, shared boolean);
alter table public.docs enable row level security;
create policy "own or shared" on public.docs for select to authenticated
  using ((select auth.uid()) = owner or shared);
create policy "not archived" on public.docs as restrictive for select to authenticated using (true);
create policy "anon shared" on public.docs for select to anon using (shared);
