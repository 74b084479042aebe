-- expect-fail: table=public.prompt_history identity=bob command=select
-- A "community feed" reads prompt_history: a select policy for every signed-in user is added
-- next to the owner policy, and permissive policies are ORed.
create policy "Community feed" on public.prompt_history
  for select to authenticated using ((select auth.role()) = 'authenticated');
