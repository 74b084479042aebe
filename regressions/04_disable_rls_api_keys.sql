-- expect-fail: table=public.api_keys identity=anon command=select
-- expect-fail: table=public.api_keys identity=bob command=select
-- Debugging leftover: RLS switched off on api_keys; the default grants expose every key hash.
alter table public.api_keys disable row level security;
