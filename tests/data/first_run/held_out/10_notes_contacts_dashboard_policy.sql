-- project: tests/data/first_run/held_out/notes-app
-- expect-fail: table=public.profile_contacts identity=alice command=select
-- expect-fail: table=public.profile_contacts identity=bob command=select
-- To show a sharee's phone number next to a shared note, the dashboard's template "Enable
-- read access for all users" is added to profile_contacts: USING (true), to public. Every
-- signed-in user reads every user's phone number and address (anon has no grant).
create policy "Enable read access for all users" on public.profile_contacts
  for select using (true);
