-- expect-fail: function=public.promote_user(uuid) identity=anon
-- A "quick fix" for the admin dashboard calling with the anon key: anyone can now make any user
-- an administrator, through a SECURITY DEFINER function that writes auth.users.
grant execute on function public.promote_user(uuid) to anon;
