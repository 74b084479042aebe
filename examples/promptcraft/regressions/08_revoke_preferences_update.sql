-- expect-fail: table=public.user_preferences identity=alice command=update
-- UPDATE is revoked on user_preferences "because the trigger creates them": users can no
-- longer change their own settings.
revoke update on public.user_preferences from authenticated;
