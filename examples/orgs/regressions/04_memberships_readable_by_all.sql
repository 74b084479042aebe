-- expect-fail: table=public.account_user identity=alice command=select
-- expect-fail: table=public.account_user identity=bob command=select
-- The member picker has to search people, so memberships are made readable by every
-- signed-in user: who works for which account, with which role, across all accounts.
-- proof (proofs/04_memberships_readable_by_all.sql): alice reads all 5 memberships, the 2 of
-- globex among them (before: 3, acme's); bob reads 5 (before: 2).
drop policy "Members see their own memberships and their teammates" on public.account_user;
create policy "Signed-in users can look up memberships"
  on public.account_user for select to authenticated
  using (true);
