-- expect-fail: table=public.table_metadata identity=bob command=select
-- The ownership join is "simplified" to checking that a project is set.
drop policy "Users can manage tables of their projects" on public.table_metadata;
create policy "Users can manage tables of their projects" on public.table_metadata
  for all to authenticated
  using (project_id is not null)
  with check (exists (
    select 1 from public.projects p
    where p.id = table_metadata.project_id and p.user_id = (select auth.uid())
  ));
