-- Users reach only their own data; agents and everything configured on them belong to the
-- agent's owner; conversations are shared by the agent's owner and the participant.
create schema if not exists private;
grant usage on schema private to authenticated, service_role;

create function private.owns_agent(agent uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.agents a where a.id = agent and a.user_id = (select auth.uid())
  );
$$;

create function private.in_conversation(conversation uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.conversations c
    join public.agents a on a.id = c.agent_id
    where c.id = conversation
      and (c.participant_id = (select auth.uid()) or a.user_id = (select auth.uid()))
  );
$$;

revoke execute on all functions in schema private from public;
grant execute on all functions in schema private to authenticated, service_role;

alter table public.users enable row level security;
alter table public.agents enable row level security;
alter table public.conversations enable row level security;
alter table public.messages enable row level security;
alter table public.knowledge_base_documents enable row level security;
alter table public.knowledge_base_urls enable row level security;
alter table public.knowledge_base_faqs enable row level security;
alter table public.widget_configs enable row level security;
alter table public.sip_configs enable row level security;

create policy "Users can view own profile" on public.users
  for select to authenticated using ((select auth.uid()) = id);
create policy "Users can update own profile" on public.users
  for update to authenticated
  using ((select auth.uid()) = id) with check ((select auth.uid()) = id);

create policy "Owners can view their agents" on public.agents
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Owners can create agents" on public.agents
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Owners can update their agents" on public.agents
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "Owners can delete their agents" on public.agents
  for delete to authenticated using ((select auth.uid()) = user_id);

-- Conversations: the participant starts one (as themselves, on an active agent); the agent's
-- owner and the participant read it; only the agent's owner changes or removes it.
create policy "Participants and agent owners can view conversations" on public.conversations
  for select to authenticated
  using ((select auth.uid()) = participant_id or private.owns_agent(agent_id));
create policy "Participants can start conversations" on public.conversations
  for insert to authenticated
  with check ((select auth.uid()) = participant_id);
create policy "Agent owners can update conversations" on public.conversations
  for update to authenticated
  using (private.owns_agent(agent_id)) with check (private.owns_agent(agent_id));
create policy "Agent owners can delete conversations" on public.conversations
  for delete to authenticated using (private.owns_agent(agent_id));

-- Only status and end time change after a conversation starts: the participant and the agent
-- are fixed, so a conversation cannot be handed to someone else.
revoke update on public.conversations from authenticated;
grant update (status, ended_at) on public.conversations to authenticated;

-- Messages: everyone in the conversation reads them and writes as the user; assistant
-- replies come from the server (service role). The transcript is append-only.
create policy "Conversation members can view messages" on public.messages
  for select to authenticated using (private.in_conversation(conversation_id));
create policy "Conversation members can post messages" on public.messages
  for insert to authenticated
  with check (private.in_conversation(conversation_id) and role = 'user');

create policy "Agent owners manage documents" on public.knowledge_base_documents
  for all to authenticated
  using (private.owns_agent(agent_id)) with check (private.owns_agent(agent_id));
create policy "Agent owners manage urls" on public.knowledge_base_urls
  for all to authenticated
  using (private.owns_agent(agent_id)) with check (private.owns_agent(agent_id));
create policy "Agent owners manage faqs" on public.knowledge_base_faqs
  for all to authenticated
  using (private.owns_agent(agent_id)) with check (private.owns_agent(agent_id));
create policy "Agent owners manage widget configs" on public.widget_configs
  for all to authenticated
  using (private.owns_agent(agent_id)) with check (private.owns_agent(agent_id));
create policy "Agent owners manage sip configs" on public.sip_configs
  for all to authenticated
  using (private.owns_agent(agent_id)) with check (private.owns_agent(agent_id));
