-- expect-fail: table=public.documents identity=alice command=select
-- expect-fail: table=public.documents identity=bob command=select
-- The read policy on documents is retyped without the table prefix. Inside the subquery an
-- unqualified `account_id` is account_user's own column, so the condition compares it with
-- itself: anyone who belongs to any account reads every account's documents.
-- proof (proofs/01_documents_captured_account_id.sql): alice (acme member) reads 3 documents
-- instead of 2, globex's term sheet among them; bob (globex) reads acme's 2.
drop policy "Members read the documents of their accounts" on public.documents;
create policy "Members read the documents of their accounts"
  on public.documents for select to authenticated
  using (exists (
    select 1 from public.account_user au
    where au.account_id = account_id and au.user_id = (select auth.uid())
  ));
