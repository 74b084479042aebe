-- expect-fail: table=public.profiles identity=bob command=update
-- The profile update policy is widened to any row: bob can rewrite alice's profile.
drop policy "Users can update their own profile" on public.profiles;
create policy "Users can update profiles" on public.profiles
  for update to authenticated using (true) with check (true);
