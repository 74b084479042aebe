create table public.notes (id int, owner uuid);
alter table public.notes enable row level security;
create policy "own" on public.notes for select to authenticated
  using ((select auth.uid()) = owner);
do $$ begin perform 1; end $$;
alter default privileges in schema public grant select on tables to authenticated;
