-- project: .
-- expect-fail: table=public.messages identity=alice command=select
-- expect-fail: table=public.messages identity=bob command=select
-- Moderation: banned users must not read messages any more. The policy meant as a
-- restriction is created without AS RESTRICTIVE, so it is one more permissive policy, OR-ed
-- with the others: every user who is not banned reads every message of every conversation.
create table public.banned_users (
  user_id uuid primary key references auth.users (id) on delete cascade,
  reason text
);
alter table public.banned_users enable row level security;
create policy "Banned users cannot read messages" on public.messages
  for select to authenticated
  using (not exists (select 1 from public.banned_users b where b.user_id = (select auth.uid())));
