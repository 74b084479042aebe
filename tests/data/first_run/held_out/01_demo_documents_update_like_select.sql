-- project: .
-- expect-fail: table=public.documents identity=alice command=update
-- expect-fail: table=public.documents identity=bob command=update
-- "Collaborators can fix typos in public documents": the update policy is copied from the
-- read policy, OR-branch included. Every signed-in user now edits (and may blank out) every
-- public document of every other user.
create policy "Users can edit public documents" on public.documents
  for update to authenticated
  using ((select auth.uid()) = owner_id or is_public);
