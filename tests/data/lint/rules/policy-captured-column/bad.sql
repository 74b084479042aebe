create table public.projects (id uuid primary key, team_id uuid not null, name text);
create table public.team_members (id uuid primary key, team_id uuid not null, user_id uuid not null);
alter table public.projects enable row level security;
-- `team_id` is tm.team_id here: the condition compares tm.team_id with itself.
create policy "members read projects" on public.projects for select to authenticated
  using (exists (select 1 from public.team_members tm
                 where tm.user_id = (select auth.uid())
                   and tm.team_id = team_id));
-- `id` is team_members.id, not projects.id.
create policy "members edit projects" on public.projects for update to authenticated
  using (exists (select 1 from public.team_members
                 where team_members.team_id = id
                   and team_members.user_id = (select auth.uid())));
