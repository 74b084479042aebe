-- expect-fail: table=public.invoices identity=anon command=select
-- expect-fail: table=public.invoices identity=alice command=select
-- expect-fail: table=public.invoices identity=bob command=select
-- The public invoice page is moved from the server to the browser: it fetches the invoice by
-- its token with the anon key, so a read policy "by token" is added. A policy cannot see the
-- token in the request; `token is not null` is true of every invoice, so every visitor lists
-- every team's invoices, tokens included.
-- proof (proofs/05_invoices_readable_by_token.sql): anon reads both invoices (before:
-- 0), alice and bob read both (before: 1 each).
create policy "Invoices can be viewed by token"
  on public.invoices for select to anon, authenticated
  using (token is not null);
