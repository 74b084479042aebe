-- expect-fail: table=public.user_sessions identity=anon command=select
-- RLS is disabled on user_sessions ("optional table, nothing secret"): IP addresses and user
-- agents of every user become public.
alter table public.user_sessions disable row level security;
