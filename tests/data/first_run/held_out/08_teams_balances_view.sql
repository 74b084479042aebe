-- project: examples/teams
-- expect-fail: table=public.team_balances identity=anon command=select
-- expect-fail: table=public.team_balances identity=alice command=select
-- expect-fail: table=public.team_balances identity=bob command=select
-- The dashboard's balance widget reads a view summing the enabled bank accounts per team.
-- The view is created without security_invoker, so it runs as its owner (who bypasses
-- RLS), and Supabase's default privileges grant it to anon and authenticated: every team's
-- balances, to everyone.
create view public.team_balances as
  select team_id, currency, sum(balance) as balance, count(*) as accounts
  from public.bank_accounts
  where enabled
  group by team_id, currency;
