-- expect-fail: table=public.conversations identity=anon command=update
-- A policy meant for a public "rename" endpoint lets anon update every conversation. anon
-- cannot SELECT them, so an update filtered by id touches nothing; an update without a filter
-- that sets a constant reads no column, and Postgres then checks only this USING.
create policy "anon edits titles" on public.conversations for update to anon using (true);
