-- expect-fail: table=public.framework_popularity identity=anon command=select
-- The analytics page reads the materialized view directly, so it is granted back to the API
-- roles. Materialized views have no RLS: everyone sees the usage figures.
grant select on public.framework_popularity to anon, authenticated;
