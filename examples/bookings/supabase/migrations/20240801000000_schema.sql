-- A two-party rental marketplace: hosts list places, guests book them. A booking has two
-- parties, its host and its guest; its messages belong to both; a review is written by one
-- party about the other.

-- Supabase grants the API roles ALL on new public tables, TRUNCATE included, and row level
-- security does not govern TRUNCATE. Tables created from here on do not grant it.
alter default privileges for role postgres in schema public revoke truncate on tables from anon;
alter default privileges for role postgres in schema public
  revoke truncate on tables from authenticated;

create schema private;

create type public.booking_status as enum ('requested', 'confirmed', 'cancelled', 'completed');

-- Public profile of every user, written by the signup trigger.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null,
  avatar_url text,
  bio text,
  created_at timestamptz not null default now()
);

create table public.listings (
  id uuid primary key default gen_random_uuid(),
  host_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  title text not null,
  description text,
  city text not null,
  nightly_price numeric(10, 2) not null check (nightly_price > 0),
  max_guests integer not null default 2 check (max_guests > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index listings_host_id_idx on public.listings (host_id);

-- host_id is the listing's host (the insert policy checks it); guest_id the person staying.
create table public.bookings (
  id uuid primary key default gen_random_uuid(),
  listing_id uuid not null references public.listings (id) on delete cascade,
  host_id uuid not null references public.profiles (id) on delete cascade,
  guest_id uuid not null references public.profiles (id) on delete cascade,
  check_in date not null,
  check_out date not null,
  guests integer not null default 1 check (guests > 0),
  status public.booking_status not null default 'requested',
  total_price numeric(10, 2),
  created_at timestamptz not null default now(),
  constraint bookings_stay_check check (check_out > check_in),
  constraint bookings_parties_check check (host_id <> guest_id)
);
create index bookings_listing_id_idx on public.bookings (listing_id);
create index bookings_host_id_idx on public.bookings (host_id);
create index bookings_guest_id_idx on public.bookings (guest_id);

create table public.messages (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete cascade,
  sender_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  body text not null check (length(body) > 0),
  created_at timestamptz not null default now()
);
create index messages_booking_id_idx on public.messages (booking_id);

create table public.reviews (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete cascade,
  reviewer_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  reviewee_id uuid not null references public.profiles (id) on delete cascade,
  rating smallint not null check (rating between 1 and 5),
  body text,
  created_at timestamptz not null default now(),
  unique (booking_id, reviewer_id),
  constraint reviews_parties_check check (reviewer_id <> reviewee_id)
);
create index reviews_reviewee_id_idx on public.reviews (reviewee_id);

create function private.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name)
  values (new.id, coalesce(new.raw_user_meta_data ->> 'name', split_part(new.email, '@', 1), 'guest'));
  return new;
end;
$$;
revoke execute on function private.handle_new_user() from public;

create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.handle_new_user();

create function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

create trigger listings_set_updated_at before update on public.listings
  for each row execute function private.set_updated_at();
