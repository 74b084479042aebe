-- expect-fail: table=public.reports identity=alice command=select
-- expect-fail: table=public.reports identity=bob command=delete
-- Reports are rewritten to an inline EXISTS on users_on_team "to save a function call". In the
-- subquery an unqualified `team_id` is users_on_team's own column, so `team_id = team_id` is
-- true, and any user with any membership reaches every team's reports.
-- proof (proofs/06_reports_captured_team_id.sql): alice reads both teams' reports (2; before
-- 1), bob deletes both (before: 1), alice writes a report into globex.
drop policy "Members manage the reports of their teams" on public.reports;
create policy "Members manage the reports of their teams"
  on public.reports for all to authenticated
  using (exists (
    select 1 from public.users_on_team
    where user_id = (select auth.uid()) and team_id = team_id
  ))
  with check (exists (
    select 1 from public.users_on_team
    where user_id = (select auth.uid()) and team_id = team_id
  ));
