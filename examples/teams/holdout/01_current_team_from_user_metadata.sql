-- expect-fail: table=public.transactions identity=alice command=select
-- expect-fail: table=public.transactions identity=alice command=insert
-- To spare the membership lookup on the biggest table, the client writes the current team
-- into the user's metadata at sign-in (supabase.auth.updateUser({ data: { team_id } })) and
-- the transactions policy reads it from the JWT. user_metadata is whatever the user says:
-- anyone names any team. A user whose metadata names no team loses their own team's rows.
-- proof (holdout/proofs/01_current_team_from_user_metadata.sql): alice with no metadata
-- reads 0 transactions (before: 1); alice with user_metadata.team_id = globex reads globex's
-- transaction and inserts one into globex (before: 0, refused); plain alice can no longer
-- insert into acme.
drop policy "Members manage the transactions of their teams" on public.transactions;
create policy "Members manage the transactions of their current team"
  on public.transactions for all to authenticated
  using (team_id = ((select auth.jwt()) -> 'user_metadata' ->> 'team_id')::uuid)
  with check (team_id = ((select auth.jwt()) -> 'user_metadata' ->> 'team_id')::uuid);
