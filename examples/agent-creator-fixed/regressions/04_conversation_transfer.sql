-- expect-fail: table=public.conversations identity=alice command=update
-- "The dashboard cannot save conversations": the full UPDATE grant comes back. The policy's
-- WITH CHECK only asks that the caller owns the agent, so an agent owner can now hand a
-- conversation (and its transcript) to any other participant.
grant update on public.conversations to authenticated;
