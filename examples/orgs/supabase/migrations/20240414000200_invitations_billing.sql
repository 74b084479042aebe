-- Invitations (issued by an account's owners, accepted through the server) and the billing
-- customer of each account (written by the billing webhook with the service key).

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references public.accounts (id) on delete cascade,
  account_role basejump.account_role not null default 'member',
  token text not null unique default encode(extensions.gen_random_bytes(24), 'hex'),
  -- Recorded by the trigger below, never taken from the request.
  invited_by uuid references auth.users (id) on delete set null,
  invitation_type text not null default 'one_time'
    check (invitation_type in ('one_time', '24_hour')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index invitations_account_id_idx on public.invitations (account_id);

create function basejump.set_invited_by()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.invited_by := coalesce((select auth.uid()), new.invited_by);
  return new;
end;
$$;

create trigger invitations_set_invited_by before insert on public.invitations
  for each row execute function basejump.set_invited_by();
create trigger invitations_set_timestamps before insert or update on public.invitations
  for each row execute function basejump.trigger_set_timestamps();

create table public.billing_customers (
  account_id uuid primary key references public.accounts (id) on delete cascade,
  customer_id text not null unique,
  email text,
  active boolean not null default true,
  provider text not null default 'stripe'
);

alter table public.invitations enable row level security;
alter table public.billing_customers enable row level security;

revoke all on public.invitations, public.billing_customers from anon;
-- An invitation is issued or withdrawn, never edited; billing is written by the webhook only.
revoke update on public.invitations from authenticated;
revoke insert, update, delete on public.billing_customers from authenticated;

create policy "Owners see the invitations of their account"
  on public.invitations for select to authenticated
  using (basejump.has_role_on_account(account_id, 'owner'));

create policy "Owners invite people to their account"
  on public.invitations for insert to authenticated
  with check (basejump.has_role_on_account(account_id, 'owner'));

create policy "Owners withdraw invitations of their account"
  on public.invitations for delete to authenticated
  using (basejump.has_role_on_account(account_id, 'owner'));

create policy "Owners see the billing customer of their account"
  on public.billing_customers for select to authenticated
  using (basejump.has_role_on_account(account_id, 'owner'));
