-- project: tests/data/first_run/held_out/notes-app
-- expect-fail: table=public.note_shares identity=alice command=insert
-- expect-fail: table=public.note_shares identity=bob command=insert
-- Sharees may re-share a note they received. The new insert policy checks that the new
-- share's recipient is the caller instead of checking what the caller may share: any user
-- inserts a share of any note (ids travel in links) to themself, and then reads it.
create policy "Users add shares" on public.note_shares
  for insert to authenticated
  with check (shared_with = (select auth.uid()));
