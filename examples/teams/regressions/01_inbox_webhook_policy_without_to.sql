-- expect-fail: table=public.inbox identity=anon command=insert
-- expect-fail: table=public.inbox identity=alice command=insert
-- The email-forwarding webhook is moved from the service key to the anon key ("it only
-- inserts"), with an insert policy that has no TO and only checks that a team is named.
-- Without TO it applies to PUBLIC: any visitor, and any signed-in user, files documents into
-- any team's inbox.
-- proof (proofs/01_inbox_webhook_policy_without_to.sql): anon inserts into acme's and
-- globex's inbox, alice into globex's (before: all refused by RLS).
create policy "Inbox items can be created by the email webhook"
  on public.inbox for insert
  with check (team_id is not null);
