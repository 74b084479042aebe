-- expect-fail: table=public.projects identity=alice command=delete
-- expect-fail: table=public.projects identity=bob command=delete
-- The delete policy on projects is copied from the update policy and keeps its plain
-- membership check: the owner-only delete is open to every member.
-- proof (holdout/proofs/02_members_delete_projects.sql): alice deletes acme's project
-- (changed 1; before: 0), bob globex's; neither reaches the other account's project.
drop policy "Owners delete projects of their accounts" on public.projects;
create policy "Owners delete projects of their accounts"
  on public.projects for delete to authenticated
  using (basejump.has_role_on_account(account_id));
