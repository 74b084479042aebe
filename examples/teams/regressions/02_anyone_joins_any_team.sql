-- expect-fail: table=public.users_on_team identity=alice command=insert
-- expect-fail: table=public.users_on_team identity=bob command=insert
-- The invite flow is moved to the client, which inserts the new member's row itself, so the
-- dashboard's "Enable insert for authenticated users only" policy is added: WITH CHECK (true).
-- Every signed-in user can add themself (or anyone) to any team, as owner if they like, and
-- then read everything the team has. This is midday's users_on_team policy as published.
-- proof (proofs/02_anyone_joins_any_team.sql): alice joins globex as owner (changed 1; before:
-- refused) and then reads globex's transaction and bank connection.
create policy "Enable insert for authenticated users only"
  on public.users_on_team for insert to authenticated
  with check (true);
