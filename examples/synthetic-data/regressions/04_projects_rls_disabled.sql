-- expect-fail: table=public.projects identity=anon command=select
-- RLS is switched off on projects while bulk-importing and never switched back on.
alter table public.projects disable row level security;
