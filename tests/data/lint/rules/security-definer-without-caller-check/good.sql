create table public.team_members (team_id uuid, user_id uuid);
alter table public.team_members enable row level security;
create policy "own memberships" on public.team_members for select to authenticated
  using ((select auth.uid()) = user_id);
create function public.is_team_member(p_team uuid) returns boolean
language sql stable security definer set search_path = ''
as $$ select exists (select 1 from public.team_members
                     where team_id = p_team and user_id = (select auth.uid())) $$;
create function public.add_member(p_team uuid, p_user uuid) returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if not public.is_team_member(p_team) then
    raise exception 'not a member of this team';
  end if;
  insert into public.team_members (team_id, user_id) values (p_team, p_user);
end
$$;
create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$ begin insert into public.team_members (user_id) values (new.id); return new; end $$;
-- a predicate the policies call: one yes/no about the ids it is given
create function public.is_member_of(p_team uuid, p_user uuid) returns boolean
language sql stable security definer set search_path = ''
as $$ select exists (select 1 from public.team_members where team_id = p_team and user_id = p_user) $$;
