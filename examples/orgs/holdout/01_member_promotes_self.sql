-- expect-fail: table=public.account_user identity=alice command=update
-- expect-fail: table=public.account_user identity=bob command=update
-- Members get to edit their own membership ("so they can leave a note on it later"): a
-- second update policy keyed on user_id alone. The only column they may update is the role,
-- so every member can make themself an owner of their account.
-- proof (holdout/proofs/01_member_promotes_self.sql): alice sets her own role to owner
-- (changed 1; before: 0), then as an owner she reads the invitations and billing of acme.
create policy "Members update their own membership"
  on public.account_user for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
