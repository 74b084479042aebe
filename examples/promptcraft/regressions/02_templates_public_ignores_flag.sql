-- expect-fail: table=public.prompt_templates identity=anon command=select
-- expect-fail: table=public.prompt_templates identity=bob command=select
-- The public-template policy loses its is_public condition: every template leaks.
drop policy "Public templates are visible to all" on public.prompt_templates;
create policy "Public templates are visible to all" on public.prompt_templates
  for select to anon, authenticated using (is_active);
