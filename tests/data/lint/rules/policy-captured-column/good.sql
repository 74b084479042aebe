create table public.projects (id uuid primary key, team_id uuid not null, name text);
create table public.team_members (id uuid primary key, team_id uuid not null, user_id uuid not null);
create table public.teams (id uuid primary key, name text);
alter table public.projects enable row level security;
-- qualified with the policy's table
create policy "members read projects" on public.projects for select to authenticated
  using (exists (select 1 from public.team_members tm
                 where tm.user_id = (select auth.uid())
                   and tm.team_id = projects.team_id));
-- teams has no team_id column: the name resolves outwards, to projects.team_id
create policy "team owners" on public.projects for delete to authenticated
  using (exists (select 1 from public.teams t where t.id = team_id and t.name = 'x'));
-- IN: the outer column is outside the subquery
create policy "members edit projects" on public.projects for update to authenticated
  using (team_id in (select tm.team_id from public.team_members tm
                     where tm.user_id = (select auth.uid())));
