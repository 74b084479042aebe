-- The helpers the policies call, and the signup trigger.

-- The teams the caller belongs to (with the given role, when one is given). SECURITY DEFINER
-- so that the policies of users_on_team can call it without recursing.
create function private.get_teams_for_user(with_role public.team_roles default null)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.team_id
  from public.users_on_team m
  where m.user_id = (select auth.uid())
    and (m.role = with_role or with_role is null);
$$;

revoke execute on function private.get_teams_for_user(public.team_roles) from public;
grant usage on schema private to authenticated, service_role;
grant execute on function private.get_teams_for_user(public.team_roles)
  to authenticated, service_role;

-- A public.users row for every new auth user. Supabase Auth inserts as supabase_auth_admin,
-- which cannot write public tables: hence SECURITY DEFINER, owned by postgres.
create function private.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.users (id, email, full_name, avatar_url)
  values (
    new.id,
    new.email,
    new.raw_user_meta_data ->> 'full_name',
    new.raw_user_meta_data ->> 'avatar_url'
  );
  return new;
end;
$$;
revoke execute on function private.handle_new_user() from public;

create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.handle_new_user();
