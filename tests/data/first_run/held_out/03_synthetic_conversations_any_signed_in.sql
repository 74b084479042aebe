-- project: examples/synthetic-data
-- expect-fail: table=public.llm_conversations identity=alice command=select
-- expect-fail: table=public.llm_conversations identity=bob command=select
-- The history page was empty for some users after a login change, so the read policy is
-- replaced by "signed-in users" (`auth.uid() is not null`): every user reads every other
-- user's LLM conversations.
drop policy "Users can view their own conversations" on public.llm_conversations;
create policy "Signed-in users can view conversations" on public.llm_conversations
  for select to authenticated
  using ((select auth.uid()) is not null);
