-- expect-fail: table=public.users_on_team identity=alice command=update
-- expect-fail: table=public.users_on_team identity=bob command=update
-- Members get a notification setting on their membership. UPDATE on the table is granted back
-- ("permission denied for table users_on_team" otherwise) and a policy lets members edit their
-- own membership row. Its WITH CHECK only asks that the row stays theirs, so a member moves
-- their membership into another team (and may make themself owner on the way).
-- proof (proofs/03_member_moves_membership.sql): alice moves her membership to globex
-- (changed 1; before: refused) and then reads globex's transaction; bob moves his into acme.
alter table public.users_on_team add column notify_transactions boolean not null default true;
grant update on public.users_on_team to authenticated;
create policy "Members edit their own membership settings"
  on public.users_on_team for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
