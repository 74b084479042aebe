create table public.todos (id int, owner uuid, org text);
alter table public.todos enable row level security;
create policy "own" on public.todos for select to authenticated
  using (auth.uid() = owner);
create policy "org" on public.todos for update to authenticated
  using (org = (auth.jwt() ->> 'org'))
  with check (org = current_setting('request.jwt.claims', true)::jsonb ->> 'org');
create table public.user_orgs (org_id text, user_id uuid);
create policy "members" on public.todos for delete to authenticated
  using (exists (select 1 from public.user_orgs uo
                 where uo.org_id = todos.org and uo.user_id = auth.uid()));
