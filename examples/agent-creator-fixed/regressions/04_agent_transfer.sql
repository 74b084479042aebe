-- expect-fail: table=public.agents identity=alice command=update
-- The agents update policy checks the new row against "any signed-in user", so an agent (with
-- its knowledge base and SIP credentials) can be handed to another account.
drop policy "Owners can update their agents" on public.agents;
create policy "Owners can update their agents" on public.agents
  for update to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.role()) = 'authenticated');
