-- expect-fail: function=public.search_projects(text) identity=anon action=call
-- expect-fail: function=public.search_projects(text) identity=alice action=call
-- Search "needs to see every project to rank them", so it becomes SECURITY DEFINER, and the term
-- is pasted into the dynamic SQL instead of quoted by format's %L. A term that closes the quote
-- runs the caller's SQL as the owner: an error that casts auth.users' emails to int prints
-- them, anon included.
create or replace function public.search_projects(term text)
returns setof public.projects
language plpgsql stable security definer set search_path = ''
as $$
begin
  return query execute 'select * from public.projects where name ilike ''%' || term || '%''';
end
$$;
