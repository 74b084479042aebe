create view public.user_directory as
  select u.id, u.email from auth.users u;
revoke all on public.user_directory from anon, authenticated;
