create table public.todos (id int, owner uuid);
alter table public.todos enable row level security;
create policy "own todos" on public.todos for all to authenticated
  using ((select auth.uid()) = owner);

-- rlsgate-ignore rls-no-policy: only the service role reads the outbox
create table public.outbox (id int);
alter table public.outbox enable row level security;
