-- expect-fail: table=public.daily_api_usage identity=anon command=select
-- The analytics dashboard reads the materialized view directly, so it is granted back to the
-- API roles. Materialized views have no RLS.
grant select on public.daily_api_usage to anon, authenticated;
