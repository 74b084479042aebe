-- expect-fail: table=public.documents identity=alice command=update
-- A hardening pass revokes UPDATE on documents: owners can no longer rename their documents.
revoke update on public.documents from authenticated;
