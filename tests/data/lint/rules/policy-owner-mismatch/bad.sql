create table public.posts (id uuid primary key, author_id uuid not null, editor_id uuid, body text);
alter table public.posts enable row level security;
create policy "authors read" on public.posts for select to authenticated
  using ((select auth.uid()) = author_id);
create policy "authors write" on public.posts for insert to authenticated
  with check ((select auth.uid()) = author_id);
create policy "authors edit" on public.posts for update to authenticated
  using ((select auth.uid()) = author_id);
create policy "authors delete" on public.posts for delete to authenticated
  using ((select auth.uid()) = editor_id);
