-- expect-fail: table=public.prompt_templates identity=anon command=select
-- expect-fail: table=public.prompt_templates identity=bob command=select
-- The public-template policy loses its is_public condition: every template leaks.
drop policy "Published templates are visible to all, others to their owner"
  on public.prompt_templates;
create policy "Published templates are visible to all, others to their owner"
  on public.prompt_templates
  for select to anon, authenticated
  using (is_active or (select auth.uid()) = user_id);
