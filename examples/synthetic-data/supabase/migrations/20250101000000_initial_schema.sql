-- Synthetic data platform: users design database schemas inside projects and generate
-- synthetic data for them with LLM help.
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

-- Supabase grants the API roles ALL on new public tables, TRUNCATE included, and row level
-- security does not govern TRUNCATE. Tables created from here on do not grant it.
alter default privileges for role postgres in schema public revoke truncate on tables from anon;
alter default privileges for role postgres in schema public
  revoke truncate on tables from authenticated;

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  full_name text,
  avatar_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.profiles is 'Public profile of each user; created on signup.';

create table public.projects (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  name text not null default 'Untitled project',
  description text,
  business_rules text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.projects is 'A schema design; everything below hangs off a project.';

create table public.table_metadata (
  id uuid primary key default extensions.uuid_generate_v4(),
  project_id uuid not null references public.projects (id) on delete cascade,
  name text not null default 'table',
  description text,
  business_rules text,
  position_x double precision not null default 0,
  position_y double precision not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.column_metadata (
  id uuid primary key default extensions.uuid_generate_v4(),
  table_id uuid not null references public.table_metadata (id) on delete cascade,
  name text not null default 'column',
  data_type text not null default 'text',
  is_nullable boolean not null default true,
  is_unique boolean not null default false,
  is_primary_key boolean not null default false,
  default_value text,
  description text,
  sample_values jsonb not null default '[]'::jsonb,
  ordinal integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.relationships (
  id uuid primary key default extensions.uuid_generate_v4(),
  project_id uuid not null references public.projects (id) on delete cascade,
  source_table_id uuid not null references public.table_metadata (id) on delete cascade,
  target_table_id uuid not null references public.table_metadata (id) on delete cascade,
  relationship_type text not null default 'one-to-many'
    check (relationship_type in ('one-to-one', 'one-to-many', 'many-to-many')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.api_secrets (
  id uuid primary key default extensions.uuid_generate_v4(),
  key_name text not null unique,
  key_value text not null,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.api_secrets is 'External API keys used by edge functions. Service role only.';

create table public.llm_conversations (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  project_id uuid references public.projects (id) on delete cascade,
  table_id uuid references public.table_metadata (id) on delete set null,
  messages jsonb not null default '[]'::jsonb,
  model text not null default 'gpt-4',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.synthetic_data_generations (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  project_id uuid not null references public.projects (id) on delete cascade,
  row_count integer not null default 100 check (row_count > 0),
  output_format text not null default 'csv' check (output_format in ('csv', 'json', 'sql')),
  status text not null default 'pending'
    check (status in ('pending', 'running', 'completed', 'failed')),
  result_url text,
  error_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
