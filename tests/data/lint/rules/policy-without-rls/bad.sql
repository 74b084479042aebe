create table public.notes (id int, owner uuid);
create policy "own notes" on public.notes for select to authenticated
  using ((select auth.uid()) = owner);
