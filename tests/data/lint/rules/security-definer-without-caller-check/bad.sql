create table public.team_members (team_id uuid, user_id uuid);
alter table public.team_members enable row level security;
create policy "own memberships" on public.team_members for select to authenticated
  using ((select auth.uid()) = user_id);
create function public.add_member(p_team uuid, p_user uuid) returns void
language sql security definer set search_path = ''
as $$ insert into public.team_members (team_id, user_id) values (p_team, p_user) $$;
create function public.members_of(p_team uuid) returns setof uuid
language sql security definer set search_path = ''
as $$ select user_id from public.team_members where team_id = p_team $$;
