-- Setup in basejump's style: a `basejump` schema that the API does not expose holds the
-- account role type and the helpers the policies call; the tables themselves live in public.

-- Supabase grants the API roles ALL on new public tables, TRUNCATE included, and row level
-- security does not govern TRUNCATE. Tables created from here on do not grant it.
alter default privileges for role postgres in schema public revoke truncate on tables from anon;
alter default privileges for role postgres in schema public
  revoke truncate on tables from authenticated;

create schema basejump;
-- Policies run as the caller, so the caller needs to reach the helpers they call.
grant usage on schema basejump to authenticated, service_role;

-- An owner manages the account (its name, its members, its invitations, its billing); a member
-- works in it.
create type basejump.account_role as enum ('owner', 'member');

create function basejump.trigger_set_timestamps()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    new.created_at := now();
  else
    new.created_at := old.created_at;
  end if;
  new.updated_at := now();
  return new;
end;
$$;
