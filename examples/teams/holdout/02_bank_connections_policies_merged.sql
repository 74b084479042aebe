-- expect-fail: table=public.bank_connections identity=alice command=insert
-- expect-fail: table=public.bank_connections identity=alice command=delete
-- expect-fail: table=public.bank_connections identity=bob command=update
-- Tidying up, the four policies of bank_connections are merged into one FOR ALL policy like
-- every other team table. The owner-only writes go with them: any member connects, edits and
-- removes the team's banks.
-- proof (holdout/proofs/02_bank_connections_policies_merged.sql): alice connects a bank to
-- acme and removes acme's connection, bob edits globex's (before: refused, 0, 0); nobody
-- reaches the other team.
drop policy "Members read the bank connections of their teams" on public.bank_connections;
drop policy "Owners connect banks to their teams" on public.bank_connections;
drop policy "Owners update the bank connections of their teams" on public.bank_connections;
drop policy "Owners remove the bank connections of their teams" on public.bank_connections;
create policy "Members manage the bank connections of their teams"
  on public.bank_connections for all to authenticated
  using (team_id in (select private.get_teams_for_user()))
  with check (team_id in (select private.get_teams_for_user()));
