-- expect-fail: table=public.conversations identity=alice command=delete
-- expect-fail: table=public.conversations identity=bob command=delete
-- A "simplified" delete policy trusts the SELECT policy to hide other users' rows. It does not:
-- `delete from conversations` without a filter reads no column, so only this USING applies.
drop policy "Users can delete their own conversations" on public.conversations;
create policy "Users can delete conversations" on public.conversations
  for delete to authenticated using (true);
