-- expect-fail: table=public.api_keys identity=guest command=select
-- The restrictive policy "looks redundant" and is dropped: anonymous sign-ins get API keys.
drop policy "Anonymous users have no api keys" on public.api_keys;
