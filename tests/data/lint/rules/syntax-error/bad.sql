create table public.notes (id int, owner uuid);
alter table public.notes enable row level security;
create policy "own" on public.notes for select to authenticated
  using ((select auth.uid()) = owner;
