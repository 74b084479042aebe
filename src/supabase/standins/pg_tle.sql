-- Stand-in for pg_tle (Trusted Language Extensions): extensions installed with
-- pgtle.install_extension are recorded in pgtle.extensions; `create extension` of one runs
-- rlsgate's stand-in when it has one (supabase-dbdev) and is skipped otherwise.
create schema if not exists pgtle;
create table pgtle.extensions (
    name text primary key,
    version text,
    description text,
    ext text,
    requires text[]
);
create function pgtle.install_extension(
    name text, version text, description text, ext text, requires text[] default null
) returns boolean language sql set search_path = '' as $$
  insert into pgtle.extensions values (name, version, description, ext, requires)
  on conflict (name) do update set version = excluded.version, ext = excluded.ext
  returning true
$$;
create function pgtle.install_update_path(name text, fromvers text, tovers text, ext text)
returns boolean language sql set search_path = '' as $$ select true $$;
create function pgtle.set_default_version(name text, version text)
returns boolean language sql set search_path = '' as $$
  update pgtle.extensions e set version = set_default_version.version where e.name = set_default_version.name
  returning true
$$;
create function pgtle.uninstall_extension(name text, version text default null)
returns boolean language sql set search_path = '' as $$
  delete from pgtle.extensions e where e.name = uninstall_extension.name returning true
$$;
create function pgtle.uninstall_extension_if_exists(name text)
returns boolean language sql set search_path = '' as $$
  select exists (select from pgtle.extensions e where e.name = uninstall_extension_if_exists.name)
     and pgtle.uninstall_extension(name)
$$;
create function pgtle.available_extensions()
returns table (name text, default_version text, description text)
language sql set search_path = '' as $$ select name, version, description from pgtle.extensions $$;
grant usage on schema pgtle to postgres;
grant all on pgtle.extensions to postgres;
