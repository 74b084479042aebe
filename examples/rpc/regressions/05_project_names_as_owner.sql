-- expect-fail: function=public.project_names(uuid) identity=bob action=call
-- expect-fail: function=public.project_names(uuid) identity=anon action=call
-- project_names switches to SECURITY DEFINER ("anon sees an empty list"): it now runs past the
-- projects' policies, and anyone who passes an organization's id reads its project names.
alter function public.project_names(uuid) security definer;
