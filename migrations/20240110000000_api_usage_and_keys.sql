-- Metering and personal API keys. RLS for these tables is switched on in the next migration.
create table public.api_usage (
  id uuid primary key default extensions.gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  model text not null default 'gpt-4o-mini',
  tokens_used integer not null default 0 check (tokens_used >= 0),
  created_at timestamptz not null default now()
);

create table public.api_keys (
  id uuid primary key default extensions.gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  key_hash text not null default encode(extensions.digest(extensions.gen_random_bytes(32), 'sha256'), 'hex'),
  name text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  unique (user_id, name)
);

create index api_usage_user_id_created_at_idx on public.api_usage (user_id, created_at desc);
create index api_keys_user_id_idx on public.api_keys (user_id);
create unique index api_keys_key_hash_idx on public.api_keys (key_hash);
