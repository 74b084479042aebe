-- Stand-in for supabase-dbdev (database.dev's package manager, installed through pg_tle):
-- dbdev.install records the package and installs nothing, since rlsgate reaches no network.
create schema if not exists dbdev;
create table dbdev.installed (package_name text primary key, installed_at timestamptz not null default now());
create function dbdev.install(package_name text) returns boolean
language sql set search_path = '' as $$
  insert into dbdev.installed (package_name) values (package_name) on conflict do nothing;
  select true
$$;
grant usage on schema dbdev to postgres;
grant all on dbdev.installed to postgres;
