-- Stand-in for pgsodium: its schema and key table only; its crypto functions are not emulated.
create schema if not exists pgsodium;
create table pgsodium.key (
    id uuid primary key default gen_random_uuid(),
    status text default 'valid',
    created timestamptz not null default now(),
    expires timestamptz,
    key_type text,
    key_id bigint,
    key_context bytea default '\x7067736f6469756d',
    name text unique,
    associated_data text default 'associated',
    raw_key bytea,
    raw_key_nonce bytea,
    parent_key uuid,
    comment text,
    user_data text
);
grant usage on schema pgsodium to postgres;
