-- A workspace app whose business logic lives in RPCs: organizations, their members (with a
-- role), projects and invoices. The tables are guarded by row level security; the functions
-- the client calls through /rpc are where a hole hides, since a SECURITY DEFINER function runs
-- as its owner, past every policy.

-- Supabase grants the API roles ALL on new public tables, TRUNCATE included, and row level
-- security does not govern TRUNCATE. Tables created from here on do not grant it.
alter default privileges for role postgres in schema public revoke truncate on tables from anon;
alter default privileges for role postgres in schema public
  revoke truncate on tables from authenticated;

create schema private;

create type public.org_role as enum ('owner', 'member');

create table public.orgs (
  id uuid primary key default gen_random_uuid(),
  name text not null
);

create table public.members (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.org_role not null default 'member',
  primary key (org_id, user_id)
);
create index members_user_id_idx on public.members (user_id);

create table public.projects (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade,
  name text not null
);
create index projects_org_id_idx on public.projects (org_id);

create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade,
  amount numeric(12, 2) not null default 0,
  paid boolean not null default false
);
create index invoices_org_id_idx on public.invoices (org_id);

-- Membership helpers for the policies: SECURITY DEFINER so that the policies on members do
-- not recurse, in a schema the API does not serve.
create function private.is_member(p_org uuid)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (select 1 from public.members m where m.org_id = p_org and m.user_id = auth.uid())
$$;

create function private.is_owner(p_org uuid)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (select 1 from public.members m
                 where m.org_id = p_org and m.user_id = auth.uid() and m.role = 'owner')
$$;

revoke execute on all functions in schema private from public;
grant usage on schema private to authenticated;
grant execute on all functions in schema private to authenticated;

alter table public.orgs enable row level security;
alter table public.members enable row level security;
alter table public.projects enable row level security;
alter table public.invoices enable row level security;

create policy "members read their organizations" on public.orgs
  for select to authenticated using (private.is_member(id));
create policy "owners rename their organizations" on public.orgs
  for update to authenticated using (private.is_owner(id)) with check (private.is_owner(id));

create policy "members read their organizations' members" on public.members
  for select to authenticated using (private.is_member(org_id));

create policy "members work on their organizations' projects" on public.projects
  for all to authenticated using (private.is_member(org_id)) with check (private.is_member(org_id));

-- Invoices are read by members; only mark_invoice_paid changes them.
create policy "members read their organizations' invoices" on public.invoices
  for select to authenticated using (private.is_member(org_id));
