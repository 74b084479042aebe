-- Every spelling of a name resolves to the same table.
create table public.profiles (id uuid primary key, bio text);
alter table PROFILES enable row level security;

create table "Notes" (id int);
alter table public."Notes" enable row level security;

create table public.events (id bigint, at timestamptz) partition by range (at);
alter table only events enable row level security;

create schema private;
create table private.audit (id int);

create table public.internal (id int);
revoke all on public.internal from anon, authenticated;
