-- Row level security for the chat and document tables.
-- Helpers live in a schema the API does not expose. They are SECURITY DEFINER so that a policy
-- on a child table can look at its parent without re-entering the parent's policies.
create schema if not exists private;
grant usage on schema private to authenticated, service_role;

create function private.owns_conversation(conversation uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.conversations c
    where c.id = conversation and c.owner_id = (select auth.uid())
  );
$$;

create function private.owns_document(document uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.documents d
    where d.id = document and d.owner_id = (select auth.uid())
  );
$$;

create function private.can_read_document(document uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.documents d
    where d.id = document and (d.owner_id = (select auth.uid()) or d.is_public)
  );
$$;

revoke execute on all functions in schema private from public;
grant execute on all functions in schema private to authenticated, service_role;

alter table public.profiles enable row level security;
alter table public.user_settings enable row level security;
alter table public.conversations enable row level security;
alter table public.messages enable row level security;
alter table public.documents enable row level security;
alter table public.document_chunks enable row level security;
alter table public.document_conversation_links enable row level security;

-- profiles: created by the signup trigger; a user reads and edits only their own.
create policy "Users can view their own profile" on public.profiles
  for select to authenticated using ((select auth.uid()) = id);
create policy "Users can update their own profile" on public.profiles
  for update to authenticated
  using ((select auth.uid()) = id) with check ((select auth.uid()) = id);

-- user_settings: also created by the signup trigger.
create policy "Users can view their own settings" on public.user_settings
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Users can update their own settings" on public.user_settings
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- conversations
create policy "Users can view their own conversations" on public.conversations
  for select to authenticated using ((select auth.uid()) = owner_id);
create policy "Users can insert their own conversations" on public.conversations
  for insert to authenticated with check ((select auth.uid()) = owner_id);
create policy "Users can update their own conversations" on public.conversations
  for update to authenticated
  using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);
create policy "Users can delete their own conversations" on public.conversations
  for delete to authenticated using ((select auth.uid()) = owner_id);

-- messages: reached through the conversation; a user writes only as themselves and never as
-- the assistant (assistant replies are written by the server with the service role). The
-- sender may edit a message, but never re-attribute it.
create policy "Users can view messages of their conversations" on public.messages
  for select to authenticated using (private.owns_conversation(conversation_id));
create policy "Users can post in their conversations" on public.messages
  for insert to authenticated
  with check (
    private.owns_conversation(conversation_id)
    and sender_id = (select auth.uid())
    and not is_ai
  );
create policy "Senders can edit their messages" on public.messages
  for update to authenticated
  using (sender_id = (select auth.uid()))
  with check (sender_id = (select auth.uid()) and private.owns_conversation(conversation_id));
create policy "Users can delete messages of their conversations" on public.messages
  for delete to authenticated using (private.owns_conversation(conversation_id));

-- documents: owners do everything; public documents are readable by every signed-in user.
create policy "Users can view their own and public documents" on public.documents
  for select to authenticated using ((select auth.uid()) = owner_id or is_public);
create policy "Users can insert their own documents" on public.documents
  for insert to authenticated with check ((select auth.uid()) = owner_id);
create policy "Users can update their own documents" on public.documents
  for update to authenticated
  using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);
create policy "Users can delete their own documents" on public.documents
  for delete to authenticated using ((select auth.uid()) = owner_id);

-- document_chunks follow their document.
create policy "Chunks are readable with their document" on public.document_chunks
  for select to authenticated using (private.can_read_document(document_id));
create policy "Owners can add chunks" on public.document_chunks
  for insert to authenticated with check (private.owns_document(document_id));
create policy "Owners can update chunks" on public.document_chunks
  for update to authenticated
  using (private.owns_document(document_id)) with check (private.owns_document(document_id));
create policy "Owners can delete chunks" on public.document_chunks
  for delete to authenticated using (private.owns_document(document_id));

-- document_conversation_links: a user attaches a document they can read to a conversation
-- they own.
create policy "Users can view links of their conversations" on public.document_conversation_links
  for select to authenticated using (private.owns_conversation(conversation_id));
create policy "Users can link readable documents to their conversations"
  on public.document_conversation_links
  for insert to authenticated
  with check (
    private.owns_conversation(conversation_id) and private.can_read_document(document_id)
  );
create policy "Users can unlink documents from their conversations"
  on public.document_conversation_links
  for delete to authenticated using (private.owns_conversation(conversation_id));
