-- factory-integration: user profiles, cost calculations, integrations with external factory
-- systems, their field mappings and jobs, and an audit trail. Everything lives in factory_app.
-- (pg_stat_statements, also used by the app, is preinstalled on Supabase.)
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

create schema if not exists factory_app;

create type factory_app.user_role as enum ('viewer', 'operator', 'engineer', 'admin');
create type factory_app.integration_type as enum ('erp', 'mes', 'plc', 'scada', 'api', 'file');
create type factory_app.integration_status as enum ('draft', 'active', 'paused', 'error', 'archived');
create type factory_app.job_status as enum ('queued', 'running', 'succeeded', 'failed', 'cancelled');
create type factory_app.audit_action as enum ('INSERT', 'UPDATE', 'DELETE');

create table factory_app.user_profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  full_name text,
  role factory_app.user_role not null default 'viewer',
  department text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table factory_app.cost_calculations (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  name text not null default 'Calculation',
  material_cost numeric(14, 2) not null default 0 check (material_cost >= 0),
  labor_cost numeric(14, 2) not null default 0 check (labor_cost >= 0),
  overhead_rate numeric(5, 4) not null default 0 check (overhead_rate between 0 and 1),
  total_cost numeric(14, 2),
  inputs jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

create table factory_app.integration_configs (
  id uuid primary key default extensions.uuid_generate_v4(),
  name text not null default 'Integration',
  type factory_app.integration_type not null default 'api',
  status factory_app.integration_status not null default 'draft',
  endpoint_url text,
  config jsonb not null default '{}'::jsonb,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table factory_app.data_mappings (
  id uuid primary key default extensions.uuid_generate_v4(),
  integration_id uuid not null references factory_app.integration_configs (id) on delete cascade,
  source_field text not null default 'source',
  target_field text not null default 'target',
  transform text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table factory_app.integration_jobs (
  id uuid primary key default extensions.uuid_generate_v4(),
  integration_id uuid not null references factory_app.integration_configs (id) on delete cascade,
  triggered_by uuid references auth.users (id) on delete set null,
  status factory_app.job_status not null default 'queued',
  records_processed integer not null default 0 check (records_processed >= 0),
  error_message text,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now()
);

create table factory_app.audit_log (
  id bigint generated always as identity primary key,
  actor_id uuid references auth.users (id) on delete set null,
  action factory_app.audit_action not null,
  table_name text not null,
  record_id text,
  old_data jsonb,
  new_data jsonb,
  created_at timestamptz not null default now()
);

create index cost_calculations_user_id_idx on factory_app.cost_calculations (user_id, created_at desc);
create index integration_configs_status_idx on factory_app.integration_configs (status);
create index integration_configs_created_by_idx on factory_app.integration_configs (created_by);
create index data_mappings_integration_id_idx on factory_app.data_mappings (integration_id);
create index integration_jobs_integration_id_idx
  on factory_app.integration_jobs (integration_id, created_at desc);
create index integration_jobs_triggered_by_idx on factory_app.integration_jobs (triggered_by);
create index audit_log_table_record_idx on factory_app.audit_log (table_name, record_id);
create index audit_log_actor_id_idx on factory_app.audit_log (actor_id);
