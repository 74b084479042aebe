-- expect-fail: table=public.messages identity=anon command=insert
-- Meant for the widget backend, this policy has no TO clause: anon can write into any
-- conversation's transcript.
create policy "Widget can post messages" on public.messages
  for insert with check (true);
