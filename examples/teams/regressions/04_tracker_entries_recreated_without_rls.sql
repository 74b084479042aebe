-- expect-fail: table=public.tracker_entries identity=anon command=select
-- expect-fail: table=public.tracker_entries identity=alice command=select
-- expect-fail: table=public.tracker_entries identity=alice command=insert
-- expect-fail: table=public.tracker_entries identity=bob command=delete
-- A schema-sync tool re-creates tracker_entries (drop, create, copy back) to make project_id
-- optional. The policy is re-created with it, `enable row level security` is not:
-- a policy on a table without RLS does nothing, and the new table has Supabase's default
-- grants, anon included.
-- proof (proofs/04_tracker_entries_recreated_without_rls.sql): anon and alice read both teams'
-- entries (2; before: 0 and 1), alice logs time into globex (before: refused by RLS), bob and
-- anon delete both entries (before: 1 and 0).
create table public.tracker_entries_new (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  project_id uuid references public.tracker_projects (id) on delete cascade,
  assigned_id uuid references public.users (id) on delete set null,
  description text,
  start timestamptz,
  stop timestamptz,
  duration bigint,
  rate numeric(10, 2),
  currency text,
  billed boolean not null default false,
  date date not null default current_date,
  created_at timestamptz not null default now()
);
insert into public.tracker_entries_new select * from public.tracker_entries;
drop table public.tracker_entries;
alter table public.tracker_entries_new rename to tracker_entries;
create index tracker_entries_team_id_idx on public.tracker_entries (team_id);
create policy "Members manage the tracker entries of their teams"
  on public.tracker_entries for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));
