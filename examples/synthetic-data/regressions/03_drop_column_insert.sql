-- expect-fail: table=public.column_metadata identity=alice command=insert
-- The FOR ALL policy is split, and the insert half is forgotten: owners cannot add columns.
drop policy "Users can manage columns of their projects" on public.column_metadata;
create policy "Users can read columns of their projects" on public.column_metadata
  for select to authenticated
  using (exists (
    select 1 from public.table_metadata t
    join public.projects p on p.id = t.project_id
    where t.id = column_metadata.table_id and p.user_id = (select auth.uid())
  ));
create policy "Users can change columns of their projects" on public.column_metadata
  for update to authenticated
  using (exists (
    select 1 from public.table_metadata t
    join public.projects p on p.id = t.project_id
    where t.id = column_metadata.table_id and p.user_id = (select auth.uid())
  ));
create policy "Users can remove columns of their projects" on public.column_metadata
  for delete to authenticated
  using (exists (
    select 1 from public.table_metadata t
    join public.projects p on p.id = t.project_id
    where t.id = column_metadata.table_id and p.user_id = (select auth.uid())
  ));
