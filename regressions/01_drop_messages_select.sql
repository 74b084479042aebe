-- expect-fail: table=public.messages identity=alice command=select
-- A cleanup migration drops the read policy on messages: owners can no longer see their chat.
drop policy "Users can view messages of their conversations" on public.messages;
