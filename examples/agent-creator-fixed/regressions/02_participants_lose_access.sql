-- expect-fail: table=public.conversations identity=bob command=select
-- The conversation read policy is rewritten for the dashboard and forgets participants.
drop policy "Participants and agent owners can view conversations" on public.conversations;
create policy "Agent owners can view conversations" on public.conversations
  for select to authenticated using (private.owns_agent(agent_id));
