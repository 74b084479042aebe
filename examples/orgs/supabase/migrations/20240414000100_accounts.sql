-- Accounts (the tenants) and account_user (who belongs to which account, with which role).

create table public.accounts (
  id uuid primary key default gen_random_uuid(),
  -- The user who created the account. Stays able to see it even before the membership row
  -- the trigger below writes is visible (an insert with RETURNING checks the new row).
  primary_owner_user_id uuid not null default auth.uid() references auth.users (id),
  name text not null,
  slug text not null unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.account_user (
  user_id uuid not null references auth.users (id) on delete cascade,
  account_id uuid not null references public.accounts (id) on delete cascade,
  account_role basejump.account_role not null default 'member',
  created_at timestamptz not null default now(),
  primary key (user_id, account_id)
);
create index account_user_account_id_idx on public.account_user (account_id);

create trigger accounts_set_timestamps before insert or update on public.accounts
  for each row execute function basejump.trigger_set_timestamps();

-- True when the caller belongs to the account (with the given role, when one is given).
-- SECURITY DEFINER so that policies on account_user itself can call it without recursing.
create function basejump.has_role_on_account(
  account_id uuid,
  account_role basejump.account_role default null
)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.account_user au
    where au.user_id = (select auth.uid())
      and au.account_id = has_role_on_account.account_id
      and (au.account_role = has_role_on_account.account_role
        or has_role_on_account.account_role is null)
  );
$$;

-- The accounts the caller belongs to (with the given role, when one is given).
create function basejump.get_accounts_with_role(passed_in_role basejump.account_role default null)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select au.account_id
  from public.account_user au
  where au.user_id = (select auth.uid())
    and (au.account_role = passed_in_role or passed_in_role is null);
$$;

revoke execute on function basejump.has_role_on_account(uuid, basejump.account_role) from public;
revoke execute on function basejump.get_accounts_with_role(basejump.account_role) from public;
grant execute on function basejump.has_role_on_account(uuid, basejump.account_role)
  to authenticated, service_role;
grant execute on function basejump.get_accounts_with_role(basejump.account_role)
  to authenticated, service_role;

-- Whoever creates an account becomes its first owner.
create function basejump.add_current_user_to_new_account()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.primary_owner_user_id = (select auth.uid()) then
    insert into public.account_user (account_id, user_id, account_role)
    values (new.id, new.primary_owner_user_id, 'owner');
  end if;
  return new;
end;
$$;
revoke execute on function basejump.add_current_user_to_new_account() from public;

create trigger accounts_add_current_user after insert on public.accounts
  for each row execute function basejump.add_current_user_to_new_account();

alter table public.accounts enable row level security;
alter table public.account_user enable row level security;

-- Nothing here is for visitors.
revoke all on public.accounts, public.account_user from anon;
-- Only the name and the slug of an account can be edited; the primary owner is changed by the
-- service (support), never through the API. Memberships: only the role can be changed.
revoke update on public.accounts, public.account_user from authenticated;
grant update (name, slug) on public.accounts to authenticated;
grant update (account_role) on public.account_user to authenticated;
-- New members arrive through an accepted invitation, which the server (service role) turns
-- into a membership.
revoke insert on public.account_user from authenticated;

create policy "Accounts are visible to their members and their primary owner"
  on public.accounts for select to authenticated
  using (
    primary_owner_user_id = (select auth.uid())
    or basejump.has_role_on_account(id)
  );

create policy "Any signed-in user can create an account they own"
  on public.accounts for insert to authenticated
  with check (primary_owner_user_id = (select auth.uid()));

create policy "Owners can edit their account"
  on public.accounts for update to authenticated
  using (basejump.has_role_on_account(id, 'owner'))
  with check (basejump.has_role_on_account(id, 'owner'));

create policy "Members see their own memberships and their teammates"
  on public.account_user for select to authenticated
  using (user_id = (select auth.uid()) or basejump.has_role_on_account(account_id));

create policy "Owners change the role of a member of their account"
  on public.account_user for update to authenticated
  using (basejump.has_role_on_account(account_id, 'owner'))
  with check (basejump.has_role_on_account(account_id, 'owner'));

create policy "Members leave; owners remove members"
  on public.account_user for delete to authenticated
  using (user_id = (select auth.uid()) or basejump.has_role_on_account(account_id, 'owner'));
