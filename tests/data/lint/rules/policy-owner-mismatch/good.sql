create table public.posts (id uuid primary key, author_id uuid not null, editor_id uuid, body text);
alter table public.posts enable row level security;
create policy "authors read" on public.posts for select to authenticated
  using ((select auth.uid()) = author_id);
create policy "authors write" on public.posts for insert to authenticated
  with check ((select auth.uid()) = author_id);
create policy "authors edit" on public.posts for update to authenticated
  using ((select auth.uid()) = author_id);
create policy "authors delete" on public.posts for delete to authenticated
  using (author_id = (select auth.uid()));
-- two parties: each command's column is named by another command too
create table public.orders (id uuid primary key, buyer_id uuid, seller_id uuid);
alter table public.orders enable row level security;
create policy "parties read" on public.orders for select to authenticated
  using ((select auth.uid()) = buyer_id or (select auth.uid()) = seller_id);
create policy "buyers order" on public.orders for insert to authenticated
  with check ((select auth.uid()) = buyer_id);
create policy "sellers update" on public.orders for update to authenticated
  using ((select auth.uid()) = seller_id);
create policy "buyers cancel" on public.orders for delete to authenticated
  using ((select auth.uid()) = buyer_id);
