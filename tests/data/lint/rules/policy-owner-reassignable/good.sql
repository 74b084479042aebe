create table public.notes (id uuid primary key, user_id uuid not null, body text);
alter table public.notes enable row level security;
-- no WITH CHECK: Postgres checks the new row with USING
create policy "owners edit" on public.notes for update to authenticated
  using ((select auth.uid()) = user_id);
create table public.drafts (id uuid primary key, user_id uuid not null, body text);
alter table public.drafts enable row level security;
create policy "owners edit" on public.drafts for update to authenticated
  using ((select auth.uid()) = user_id) with check (body is not null);
-- pinned by a trigger
create function public.keep_owner() returns trigger language plpgsql set search_path = ''
as $$ begin new.user_id := old.user_id; return new; end $$;
create trigger keep_owner before update on public.drafts
  for each row execute function public.keep_owner();
create table public.memos (id uuid primary key, user_id uuid not null, body text);
alter table public.memos enable row level security;
create policy "owners edit" on public.memos for update to authenticated
  using ((select auth.uid()) = user_id) with check (body is not null);
-- pinned by a column grant
revoke update on public.memos from anon, authenticated;
grant update (body) on public.memos to authenticated;
