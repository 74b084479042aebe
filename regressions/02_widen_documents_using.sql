-- expect-fail: table=public.documents identity=bob command=select
-- "Make search work": the documents read policy is widened to every row.
drop policy "Users can view their own and public documents" on public.documents;
create policy "Users can view documents" on public.documents
  for select to authenticated using (true);
