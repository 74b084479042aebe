create table public.todos (id int, owner uuid, org text);
alter table public.todos enable row level security;
create policy "own" on public.todos for select to authenticated
  using ((select auth.uid()) = owner);
create policy "org" on public.todos for update to authenticated
  using (org = ((select auth.jwt()) ->> 'org'));
