-- expect-fail: table=public.project_overview identity=alice command=select
-- expect-fail: table=public.project_overview identity=bob command=select
-- expect-fail: table=public.project_overview identity=anon command=select
-- The overview is dropped and re-created from the dashboard to add the description. The new
-- view has no security_invoker, so it runs as its owner (postgres, who bypasses RLS), and as a
-- new view it gets Supabase's default grants: every account's projects, to everyone.
-- proof (proofs/02_project_overview_definer.sql): alice, bob and anon each read both
-- accounts' projects (2 rows; before: 1, 1 and permission denied).
drop view public.project_overview;
create view public.project_overview as
select
  p.id,
  p.account_id,
  p.name,
  p.description,
  p.archived,
  count(t.id) filter (where t.status <> 'done') as open_tasks,
  count(t.id) as total_tasks,
  max(t.updated_at) as last_activity_at
from public.projects p
left join public.tasks t on t.project_id = p.id
group by p.id;
