-- The dashboard's list of projects with their task counts. security_invoker: a reader sees
-- only the projects and tasks the policies let them see (a plain view would run with its
-- owner's rights and show every account's projects). Read-only through the API.
create view public.project_overview
with (security_invoker = true)
as
select
  p.id,
  p.account_id,
  p.name,
  p.archived,
  count(t.id) filter (where t.status <> 'done') as open_tasks,
  count(t.id) as total_tasks,
  max(t.updated_at) as last_activity_at
from public.projects p
left join public.tasks t on t.project_id = p.id
group by p.id;

revoke all on public.project_overview from anon;
revoke insert, update, delete on public.project_overview from authenticated;
