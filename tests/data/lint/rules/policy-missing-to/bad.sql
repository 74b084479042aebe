create table public.todos (id int, owner uuid);
alter table public.todos enable row level security;
create policy "own" on public.todos for select using ((select auth.uid()) = owner);
