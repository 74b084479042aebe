-- project: examples/orgs
-- expect-fail: table=public.projects identity=alice command=insert
-- expect-fail: table=public.projects identity=bob command=insert
-- The insert policy on projects is inlined to avoid the helper call, and the account
-- comparison is lost: "the caller has a membership" instead of "a membership of this
-- account". A member of any account creates projects in every other account.
drop policy "Members create projects in their accounts" on public.projects;
create policy "Members create projects in their accounts" on public.projects
  for insert to authenticated
  with check (exists (
    select 1 from public.account_user au where au.user_id = (select auth.uid())
  ));
