-- A team-scoped finance app in midday's style: every row belongs to a team, users belong to
-- teams through users_on_team (with a role), and the policies ask a SECURITY DEFINER helper
-- in an unexposed schema which teams the caller is in.

-- Supabase grants the API roles ALL on new public tables, TRUNCATE included, and row level
-- security does not govern TRUNCATE. Tables created from here on do not grant it.
alter default privileges for role postgres in schema public revoke truncate on tables from anon;
alter default privileges for role postgres in schema public
  revoke truncate on tables from authenticated;

create schema private;

create type public.team_roles as enum ('owner', 'member');
create type public.transaction_status as enum ('posted', 'pending', 'excluded', 'completed');
create type public.invoice_status as enum ('draft', 'unpaid', 'paid', 'overdue', 'canceled');
create type public.inbox_status as enum ('processing', 'pending', 'new', 'archived', 'done');
create type public.tracker_status as enum ('in_progress', 'completed');
create type public.report_types as enum ('profit', 'revenue', 'burn_rate', 'expense');

create table public.teams (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  logo_url text,
  email text,
  inbox_id text not null unique default encode(extensions.gen_random_bytes(5), 'hex'),
  base_currency text not null default 'USD',
  created_at timestamptz not null default now()
);

-- One row per auth user, written by the signup trigger. team_id is the team the user is
-- working in right now (one of theirs).
create table public.users (
  id uuid primary key references auth.users (id) on delete cascade,
  full_name text,
  avatar_url text,
  email text,
  team_id uuid references public.teams (id) on delete set null,
  locale text not null default 'en',
  week_starts_on_monday boolean not null default false,
  timezone text,
  created_at timestamptz not null default now()
);
create index users_team_id_idx on public.users (team_id);

create table public.users_on_team (
  id uuid not null unique default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  team_id uuid not null references public.teams (id) on delete cascade,
  role public.team_roles not null default 'member',
  created_at timestamptz not null default now(),
  primary key (user_id, team_id)
);
create index users_on_team_team_id_idx on public.users_on_team (team_id);

create table public.user_invites (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  email text not null,
  role public.team_roles not null default 'member',
  code text not null unique default encode(extensions.gen_random_bytes(12), 'hex'),
  invited_by uuid default auth.uid() references public.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (email, team_id)
);

create table public.bank_connections (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  institution_id text not null,
  name text not null,
  logo_url text,
  provider text not null default 'gocardless' check (provider in ('gocardless', 'plaid', 'teller')),
  enrollment_id text,
  expires_at timestamptz,
  status text not null default 'connected',
  created_at timestamptz not null default now()
);
create index bank_connections_team_id_idx on public.bank_connections (team_id);

create table public.bank_accounts (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  bank_connection_id uuid references public.bank_connections (id) on delete cascade,
  account_id text not null,
  name text,
  currency text,
  balance numeric(12, 2) not null default 0,
  enabled boolean not null default true,
  manual boolean not null default false,
  created_by uuid default auth.uid() references public.users (id) on delete set null,
  created_at timestamptz not null default now()
);
create index bank_accounts_team_id_idx on public.bank_accounts (team_id);

create table public.transaction_categories (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  name text not null,
  slug text not null,
  color text,
  description text,
  vat numeric(4, 2),
  system boolean not null default false,
  created_at timestamptz not null default now(),
  unique (team_id, slug)
);

create table public.transactions (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  bank_account_id uuid references public.bank_accounts (id) on delete cascade,
  date date not null,
  name text not null,
  method text not null default 'other',
  amount numeric(12, 2) not null,
  currency text not null,
  internal_id text not null unique,
  category_slug text,
  status public.transaction_status not null default 'posted',
  note text,
  assigned_id uuid references public.users (id) on delete set null,
  manual boolean not null default false,
  created_at timestamptz not null default now()
);
create index transactions_team_id_idx on public.transactions (team_id);

create table public.tags (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  name text not null,
  created_at timestamptz not null default now(),
  unique (team_id, name)
);

create table public.customers (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  name text not null,
  email text not null,
  phone text,
  website text,
  address_line_1 text,
  city text,
  country text,
  note text,
  created_at timestamptz not null default now()
);
create index customers_team_id_idx on public.customers (team_id);

create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  customer_id uuid references public.customers (id) on delete set null,
  invoice_number text,
  status public.invoice_status not null default 'draft',
  amount numeric(12, 2),
  currency text,
  issue_date date,
  due_date date,
  -- The secret in the link of the public invoice page, which the server renders.
  token text not null unique default encode(extensions.gen_random_bytes(16), 'hex'),
  note text,
  user_id uuid default auth.uid() references public.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (team_id, invoice_number)
);
create index invoices_team_id_idx on public.invoices (team_id);

create table public.tracker_projects (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  customer_id uuid references public.customers (id) on delete set null,
  name text not null,
  description text,
  rate numeric(10, 2),
  currency text,
  status public.tracker_status not null default 'in_progress',
  estimate bigint,
  billable boolean not null default false,
  created_at timestamptz not null default now()
);
create index tracker_projects_team_id_idx on public.tracker_projects (team_id);

create table public.tracker_entries (
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
create index tracker_entries_team_id_idx on public.tracker_entries (team_id);

create table public.inbox (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  file_name text,
  file_path text[],
  content_type text,
  size bigint,
  display_name text,
  amount numeric(12, 2),
  currency text,
  date date,
  reference_id text unique,
  status public.inbox_status not null default 'new',
  transaction_id uuid references public.transactions (id) on delete set null,
  forwarded_to text,
  website text,
  created_at timestamptz not null default now()
);
create index inbox_team_id_idx on public.inbox (team_id);

create table public.documents (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  name text not null,
  path_tokens text[],
  metadata jsonb,
  tag text,
  owner_id uuid default auth.uid() references public.users (id) on delete set null,
  created_at timestamptz not null default now()
);
create index documents_team_id_idx on public.documents (team_id);

create table public.reports (
  id uuid primary key default gen_random_uuid(),
  team_id uuid not null references public.teams (id) on delete cascade,
  link_id text unique,
  short_link text,
  type public.report_types,
  "from" timestamptz,
  "to" timestamptz,
  currency text,
  created_by uuid default auth.uid() references public.users (id) on delete set null,
  expire_at timestamptz,
  created_at timestamptz not null default now()
);
create index reports_team_id_idx on public.reports (team_id);

-- Reference data, the same for everyone; refreshed daily by a job with the service key.
create table public.exchange_rates (
  id bigint generated always as identity primary key,
  base text not null,
  target text not null,
  rate numeric(12, 6) not null,
  updated_at timestamptz not null default now(),
  unique (base, target)
);

insert into public.exchange_rates (base, target, rate) values
  ('USD', 'EUR', 0.921), ('USD', 'GBP', 0.788), ('EUR', 'USD', 1.086), ('GBP', 'USD', 1.269);
