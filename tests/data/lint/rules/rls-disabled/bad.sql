-- A table created in one file and never protected; another protected, then disabled;
-- a third protected, dropped and re-created.
create table public.profiles (id uuid primary key, bio text);

create table "Notes" (id int);
alter table public."Notes" enable row level security;
alter table "Notes" disable row level security;

create table public.items (id int);
alter table items enable row level security;
drop table public.items;
create table public.items (id int, name text);

create table public.events (id bigint, at timestamptz) partition by range (at);
