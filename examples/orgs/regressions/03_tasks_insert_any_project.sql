-- expect-fail: table=public.tasks identity=alice command=insert
-- expect-fail: table=public.tasks identity=bob command=insert
-- The insert policy on tasks is rewritten to "the creator is the caller" and loses the
-- membership check: a member of any account adds tasks to another account's project as soon
-- as they know its id (ids travel in links and notifications).
-- proof (proofs/03_tasks_insert_any_project.sql): alice (acme) inserts a task into globex's
-- project B and bob into acme's project A (before: both refused by RLS). Writing in
-- someone else's name (created_by = bob) stays refused.
drop policy "Members create tasks in projects of their accounts" on public.tasks;
create policy "Members create their own tasks"
  on public.tasks for insert to authenticated
  with check (created_by = (select auth.uid()));
