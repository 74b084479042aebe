-- expect-fail: table=public.messages identity=alice command=update
-- The edit policy's WITH CHECK is "fixed" to only require the conversation: a user can now
-- re-attribute their message to someone else (an ownership transfer through sender_id).
drop policy "Senders can edit their messages" on public.messages;
create policy "Senders can edit their messages" on public.messages
  for update to authenticated
  using (sender_id = (select auth.uid()))
  with check (private.owns_conversation(conversation_id));
