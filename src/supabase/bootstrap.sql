-- The Supabase platform as a fresh project sees it, run once by the superuser
-- `supabase_admin` into the template cluster. Modelled on supabase/postgres init scripts
-- and the supabase/auth, storage and realtime migrations; see README "Works with".

set client_min_messages = warning;

-- Roles ------------------------------------------------------------------------------------

create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit;
grant anon, authenticated, service_role to authenticator;

create role postgres login createrole createdb replication bypassrls;
grant anon, authenticated, service_role to postgres with admin option;

create role supabase_auth_admin login noinherit createrole noreplication;
create role supabase_storage_admin login noinherit createrole noreplication;
create role supabase_realtime_admin nologin noinherit noreplication;
create role supabase_replication_admin login replication;
create role supabase_read_only_user login bypassrls;
create role supabase_functions_admin login noinherit createrole noreplication;
create role dashboard_user nosuperuser createdb createrole replication;
create role pgbouncer login;
create role pgsodium_keyiduser nologin noinherit;
create role pgsodium_keyholder nologin noinherit;
create role pgsodium_keymaker nologin noinherit;
grant pgsodium_keyiduser to pgsodium_keyholder;
grant pgsodium_keyholder to pgsodium_keymaker;
grant pgsodium_keymaker to postgres with admin option;
grant supabase_auth_admin, supabase_storage_admin, supabase_functions_admin to postgres;
grant pg_read_all_data to supabase_read_only_user;

alter database postgres owner to postgres;
alter database postgres set search_path = "$user", public, extensions;
-- PostgREST and the Storage API set request.headers on every request; triggers read it
-- with current_setting('request.headers') (no missing_ok), so it always has a value here.
alter database postgres set request.headers = '{}';
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_storage_admin set search_path = storage;
alter role authenticator set statement_timeout = '8s';
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

-- Schemas ------------------------------------------------------------------------------------

alter schema public owner to postgres;
grant usage on schema public to postgres, anon, authenticated, service_role;
grant all on schema public to postgres;

create schema extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role, supabase_auth_admin, supabase_storage_admin, dashboard_user;
grant all on schema extensions to postgres with grant option;
create extension "uuid-ossp" with schema extensions;
create extension pgcrypto with schema extensions;

create schema graphql_public;
grant usage on schema graphql_public to postgres, anon, authenticated, service_role;

-- Default privileges: every table, function and sequence that `postgres` (or the platform)
-- creates in public is granted to the API roles. RLS is then the only barrier.
alter default privileges for role postgres in schema public
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
    grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
    grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
    grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
    grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema extensions
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema extensions
    grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema extensions
    grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema extensions
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema extensions
    grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema extensions
    grant all on sequences to postgres, anon, authenticated, service_role;
grant all on all functions in schema extensions to postgres, anon, authenticated, service_role;

-- Auth ---------------------------------------------------------------------------------------

create schema auth authorization supabase_auth_admin;
grant usage on schema auth to postgres, anon, authenticated, service_role, dashboard_user;
grant all on schema auth to supabase_auth_admin, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
    grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
    grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
    grant all on functions to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
    grant all on tables to postgres with grant option;
alter default privileges for role supabase_auth_admin in schema auth
    grant all on sequences to postgres with grant option;
alter default privileges for role supabase_auth_admin in schema auth
    grant all on functions to postgres with grant option;

set role supabase_auth_admin;

create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
create type auth.factor_type as enum ('totp', 'webauthn', 'phone');
create type auth.factor_status as enum ('unverified', 'verified');
create type auth.code_challenge_method as enum ('s256', 'plain');
create type auth.one_time_token_type as enum (
    'confirmation_token', 'reauthentication_token', 'recovery_token',
    'email_change_token_new', 'email_change_token_current', 'phone_change_token');

create table auth.instances (
    id uuid primary key,
    uuid uuid,
    raw_base_config text,
    created_at timestamptz,
    updated_at timestamptz
);

create table auth.users (
    instance_id uuid,
    id uuid primary key,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamptz,
    updated_at timestamptz,
    phone text unique default null,
    phone_confirmed_at timestamptz,
    phone_change text default '',
    phone_change_token varchar(255) default '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
    email_change_token_current varchar(255) default '',
    email_change_confirm_status smallint default 0 check (email_change_confirm_status between 0 and 2),
    banned_until timestamptz,
    reauthentication_token varchar(255) default '',
    reauthentication_sent_at timestamptz,
    is_sso_user boolean not null default false,
    deleted_at timestamptz,
    is_anonymous boolean not null default false
);
create index users_instance_id_idx on auth.users (instance_id);
create unique index users_email_partial_key on auth.users (email) where is_sso_user = false;

create table auth.identities (
    provider_id text not null,
    user_id uuid not null references auth.users (id) on delete cascade,
    identity_data jsonb not null,
    provider text not null,
    last_sign_in_at timestamptz,
    created_at timestamptz,
    updated_at timestamptz,
    email text generated always as (lower(identity_data ->> 'email')) stored,
    id uuid primary key default gen_random_uuid(),
    unique (provider_id, provider)
);

create table auth.sessions (
    id uuid primary key,
    user_id uuid not null references auth.users (id) on delete cascade,
    created_at timestamptz,
    updated_at timestamptz,
    factor_id uuid,
    aal auth.aal_level,
    not_after timestamptz,
    refreshed_at timestamp,
    user_agent text,
    ip inet,
    tag text
);

create table auth.refresh_tokens (
    instance_id uuid,
    id bigserial primary key,
    token varchar(255) unique,
    user_id varchar(255),
    revoked boolean,
    created_at timestamptz,
    updated_at timestamptz,
    parent varchar(255),
    session_id uuid references auth.sessions (id) on delete cascade
);

create table auth.mfa_factors (
    id uuid primary key,
    user_id uuid not null references auth.users (id) on delete cascade,
    friendly_name text,
    factor_type auth.factor_type not null,
    status auth.factor_status not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    secret text,
    phone text,
    last_challenged_at timestamptz unique
);

create table auth.mfa_challenges (
    id uuid primary key,
    factor_id uuid not null references auth.mfa_factors (id) on delete cascade,
    created_at timestamptz not null,
    verified_at timestamptz,
    ip_address inet not null,
    otp_code text
);

create table auth.mfa_amr_claims (
    session_id uuid not null references auth.sessions (id) on delete cascade,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    authentication_method text not null,
    id uuid primary key,
    unique (session_id, authentication_method)
);

create table auth.audit_log_entries (
    instance_id uuid,
    id uuid primary key,
    payload json,
    created_at timestamptz,
    ip_address varchar(64) not null default ''
);

create table auth.flow_state (
    id uuid primary key,
    user_id uuid,
    auth_code text not null,
    code_challenge_method auth.code_challenge_method not null,
    code_challenge text not null,
    provider_type text not null,
    provider_access_token text,
    provider_refresh_token text,
    created_at timestamptz,
    updated_at timestamptz,
    authentication_method text not null,
    auth_code_issued_at timestamptz
);

create table auth.one_time_tokens (
    id uuid primary key,
    user_id uuid not null references auth.users (id) on delete cascade,
    token_type auth.one_time_token_type not null,
    token_hash text not null check (char_length(token_hash) > 0),
    relates_to text not null,
    created_at timestamp not null default now(),
    updated_at timestamp not null default now()
);

create table auth.sso_providers (
    id uuid primary key,
    resource_id text,
    created_at timestamptz,
    updated_at timestamptz
);

create table auth.schema_migrations (version varchar(255) primary key);

-- The request's JWT, as PostgREST exposes it: `request.jwt.claims` (JSON), or the legacy
-- per-claim settings `request.jwt.claim.<name>`. After a transaction that used SET LOCAL,
-- the settings read as '' rather than NULL, hence nullif.
create function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

reset role;

grant all on all tables in schema auth to postgres, dashboard_user;
grant all on all sequences in schema auth to postgres, dashboard_user;
grant execute on all functions in schema auth to postgres, anon, authenticated, service_role, dashboard_user;
grant select on auth.users, auth.identities, auth.sessions, auth.mfa_factors to postgres with grant option;
grant references, trigger on auth.users to postgres;

-- Storage ------------------------------------------------------------------------------------

create schema storage authorization supabase_storage_admin;
grant usage on schema storage to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage
    grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage
    grant all on functions to postgres, anon, authenticated, service_role;

set role supabase_storage_admin;

create table storage.buckets (
    id text primary key,
    name text not null unique,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[]
);

create table storage.objects (
    id uuid primary key default gen_random_uuid(),
    bucket_id text references storage.buckets (id),
    name text,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    user_metadata jsonb,
    unique (bucket_id, name)
);

create table storage.migrations (
    id integer primary key,
    name varchar(100) unique not null,
    hash varchar(40) not null,
    executed_at timestamp default current_timestamp
);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
alter table storage.migrations enable row level security;

create function storage.foldername(name text) returns text[]
language plpgsql immutable
as $$
declare _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end
$$;

create function storage.filename(name text) returns text
language plpgsql immutable
as $$
declare _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$$;

create function storage.extension(name text) returns text
language plpgsql immutable
as $$
declare _filename text;
begin
  select storage.filename(name) into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

reset role;

grant all on storage.buckets, storage.objects to postgres, anon, authenticated, service_role;
grant execute on all functions in schema storage to postgres, anon, authenticated, service_role;

-- Realtime -----------------------------------------------------------------------------------

create schema realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;
grant all on schema realtime to postgres, supabase_realtime_admin;

create table realtime.messages (
    topic text not null,
    extension text not null,
    payload jsonb,
    event text,
    private boolean default false,
    updated_at timestamp not null default now(),
    inserted_at timestamp not null default now(),
    id uuid not null default gen_random_uuid(),
    primary key (id, inserted_at)
);
alter table realtime.messages owner to supabase_realtime_admin;
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to postgres, anon, authenticated, service_role;
-- Realtime Authorization policies on realtime.messages are created by `postgres`, a member of
-- the table's owner on the platform.
grant supabase_realtime_admin to postgres;

create function realtime.topic() returns text
language sql stable
as $$ select nullif(current_setting('realtime.topic', true), '')::text $$;

create function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
begin
  insert into realtime.messages (payload, event, topic, private, extension)
  values (payload, event, topic, private, 'broadcast');
end
$$;

grant execute on all functions in schema realtime to postgres, anon, authenticated, service_role;

create publication supabase_realtime;
alter publication supabase_realtime owner to postgres;

-- Extensions the platform runs as the superuser ------------------------------------------------
-- Supabase's supautils runs CREATE/ALTER/DROP EXTENSION for `postgres` as the superuser; the
-- migrator does the same through this function. Extensions Debian's Postgres lacks are
-- replaced by stand-ins (src/supabase/standins), recorded here.

create schema _rlsgate;
revoke all on schema _rlsgate from public;
grant usage on schema _rlsgate to postgres;
create table _rlsgate.standins (name text primary key, schema text not null);
grant select on _rlsgate.standins to postgres;
create function _rlsgate.privileged(statement text, path text) returns void
language plpgsql security definer set search_path = pg_catalog
as $$
begin
  perform pg_catalog.set_config('search_path', path, true);
  execute statement;
end
$$;
revoke all on function _rlsgate.privileged(text, text) from public;
grant execute on function _rlsgate.privileged(text, text) to postgres;

-- supautils.privileged_role_allowed_configs: the superuser-only settings Supabase lets
-- `postgres` set (`set session_replication_role = replica` opens every
-- `supabase db dump --data-only` seed). The others on that list are extension settings,
-- which any role may set until their library is loaded.
grant set on parameter session_replication_role, log_lock_waits, log_min_messages, track_io_timing
  to postgres;

-- Database webhooks: Supabase creates `supabase_functions` when webhooks are enabled; the
-- trigger function records the call instead of sending it.

create schema supabase_functions authorization supabase_admin;
grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
create table supabase_functions.hooks (
    id bigserial primary key,
    hook_table_id integer not null,
    hook_name text not null,
    created_at timestamptz not null default now(),
    request_id bigint
);
create function supabase_functions.http_request() returns trigger
language plpgsql security definer set search_path = supabase_functions
as $$
begin
  insert into supabase_functions.hooks (hook_table_id, hook_name)
  values (tg_relid::integer, tg_name);
  return coalesce(new, old);
end
$$;
grant execute on function supabase_functions.http_request() to postgres, anon, authenticated, service_role;
alter function supabase_functions.http_request() owner to supabase_functions_admin;
grant all on schema supabase_functions to supabase_functions_admin;
grant all on supabase_functions.hooks to supabase_functions_admin, postgres;
grant all on sequence supabase_functions.hooks_id_seq to supabase_functions_admin, postgres;

-- Enabled on every new Supabase project: pg_graphql and supabase_vault (stand-ins, appended
-- to this script).
insert into _rlsgate.standins values ('pg_graphql', 'graphql'), ('supabase_vault', 'vault');

reset client_min_messages;

