create table public.docs (id int, owner uuid, shared boolean);
alter table public.docs enable row level security;
create policy "own" on public.docs for select to authenticated using ((select auth.uid()) = owner);
create policy "shared" on public.docs for select to authenticated using (shared);
create policy "manage" on public.docs for all using ((select auth.uid()) = owner);
