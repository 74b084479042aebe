create table public.notes (id uuid primary key, user_id uuid not null, body text);
alter table public.notes enable row level security;
create policy "owners edit" on public.notes for update to authenticated
  using ((select auth.uid()) = user_id)
  with check (body is not null);
create table public.docs (id uuid primary key, org_id uuid not null, title text);
alter table public.docs enable row level security;
create function public.is_member(org uuid) returns boolean language sql stable
set search_path = '' as $$
  select exists (select 1 from public.members m where m.org_id = org and m.user_id = auth.uid())
$$;
create policy "members edit" on public.docs for update to authenticated
  using (public.is_member(org_id));
create policy "titles are free" on public.docs for update to authenticated
  using (false) with check (title is not null);
