create view public.user_directory as
  select u.id, u.email, u.raw_user_meta_data from auth.users u;
