-- project: examples/orgs
-- expect-fail: function=public.archive_project(uuid) identity=alice
-- expect-fail: function=public.archive_project(uuid) identity=bob
-- expect-fail: function=public.archive_project(uuid) identity=anon
-- An "archive" button calls an RPC. It is SECURITY DEFINER (so it can also touch the
-- project's tasks) and checks nothing about the caller; functions are executable by PUBLIC
-- by default. Anyone, signed in or not, archives any account's project by id.
create function public.archive_project(p_project uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.projects set archived = true where id = p_project;
  update public.tasks set status = 'done' where project_id = p_project;
end;
$$;
