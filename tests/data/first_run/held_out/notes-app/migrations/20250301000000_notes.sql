-- A notes app: each note has an owner, who may share it with other users by id. Shared
-- users read the note; only the owner edits or deletes it. Profiles hold a display name that
-- every signed-in user may read, and a phone number that only its user reads.

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null default '',
  created_at timestamptz not null default now()
);

create table public.profile_contacts (
  user_id uuid primary key references auth.users (id) on delete cascade,
  phone text,
  address text
);

create table public.notes (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null default '',
  body text not null default '',
  created_at timestamptz not null default now()
);

create table public.note_shares (
  note_id uuid not null references public.notes (id) on delete cascade,
  shared_with uuid not null references auth.users (id) on delete cascade,
  primary key (note_id, shared_with)
);

alter table public.profiles enable row level security;
alter table public.profile_contacts enable row level security;
alter table public.notes enable row level security;
alter table public.note_shares enable row level security;

create policy "Signed-in users read profiles" on public.profiles
  for select to authenticated using (true);
create policy "Users edit their own profile" on public.profiles
  for update to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()));
create policy "Users create their own profile" on public.profiles
  for insert to authenticated with check (id = (select auth.uid()));

create policy "Users read their own contact details" on public.profile_contacts
  for select to authenticated using (user_id = (select auth.uid()));
create policy "Users write their own contact details" on public.profile_contacts
  for all to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

create schema private;
create function private.owns_note(p_note uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (select 1 from public.notes n where n.id = p_note and n.user_id = (select auth.uid()));
$$;
create function private.shared_with_me(p_note uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.note_shares s where s.note_id = p_note and s.shared_with = (select auth.uid())
  );
$$;
revoke execute on all functions in schema private from public;
grant usage on schema private to authenticated;
grant execute on all functions in schema private to authenticated;

create policy "Owners and sharees read notes" on public.notes
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.shared_with_me(id)));
create policy "Users create their own notes" on public.notes
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "Owners edit their notes" on public.notes
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "Owners delete their notes" on public.notes
  for delete to authenticated using (user_id = (select auth.uid()));

create policy "Owners and sharees read shares" on public.note_shares
  for select to authenticated
  using (shared_with = (select auth.uid()) or (select private.owns_note(note_id)));
create policy "Owners share their notes" on public.note_shares
  for insert to authenticated with check ((select private.owns_note(note_id)));
create policy "Owners and sharees remove shares" on public.note_shares
  for delete to authenticated
  using (shared_with = (select auth.uid()) or (select private.owns_note(note_id)));

revoke all on public.profiles, public.profile_contacts, public.notes, public.note_shares from anon;
