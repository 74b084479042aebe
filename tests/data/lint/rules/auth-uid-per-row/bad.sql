create table public.todos (id int, owner uuid, org text);
alter table public.todos enable row level security;
create policy "own" on public.todos for select to authenticated
  using (auth.uid() = owner);
create policy "org" on public.todos for update to authenticated
  using (org = (auth.jwt() ->> 'org'))
  with check (org = current_setting('request.jwt.claims', true)::jsonb ->> 'org');
