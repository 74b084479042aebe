-- expect-fail: table=public.agents identity=alice command=insert
-- A hardening pass revokes INSERT on agents from authenticated: users can no longer create
-- agents at all.
revoke insert on public.agents from authenticated;
