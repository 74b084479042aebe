-- expect-fail: table=public.synthetic_data_generations identity=anon command=insert
-- A policy meant for the worker has no TO clause, so it applies to anon as well.
create policy "Worker records generations" on public.synthetic_data_generations
  for insert with check (true);
