create table public.posts (id int, author uuid);
alter table public.posts enable row level security;
create policy "anyone edits" on public.posts for update to authenticated using (true);
create policy "anyone posts" on public.posts for insert to anon, authenticated with check (true);
create policy "anyone deletes" on public.posts for delete using (1 = 1);
