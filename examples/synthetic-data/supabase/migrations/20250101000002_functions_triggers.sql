create function public.update_updated_at_column()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

create trigger profiles_updated_at before update on public.profiles
  for each row execute function public.update_updated_at_column();
create trigger projects_updated_at before update on public.projects
  for each row execute function public.update_updated_at_column();
create trigger table_metadata_updated_at before update on public.table_metadata
  for each row execute function public.update_updated_at_column();
create trigger column_metadata_updated_at before update on public.column_metadata
  for each row execute function public.update_updated_at_column();
create trigger relationships_updated_at before update on public.relationships
  for each row execute function public.update_updated_at_column();
create trigger api_secrets_updated_at before update on public.api_secrets
  for each row execute function public.update_updated_at_column();
create trigger llm_conversations_updated_at before update on public.llm_conversations
  for each row execute function public.update_updated_at_column();
create trigger synthetic_data_generations_updated_at
  before update on public.synthetic_data_generations
  for each row execute function public.update_updated_at_column();

-- Profile on signup. Runs as its owner because Supabase Auth inserts as supabase_auth_admin.
create function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, email, full_name, avatar_url)
  values (
    new.id,
    new.email,
    new.raw_user_meta_data ->> 'full_name',
    new.raw_user_meta_data ->> 'avatar_url'
  )
  on conflict (id) do nothing;
  return new;
end;
$$;
revoke execute on function public.handle_new_user() from public;
revoke execute on function public.handle_new_user() from anon;
revoke execute on function public.handle_new_user() from authenticated;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();

-- Used by the llm-assistant edge function, which calls it with the user's JWT. Runs with the
-- caller's rights: the RLS on projects already limits it to the caller's own projects.
create function public.validate_project_ownership(project_uuid uuid)
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select exists (
    select 1 from public.projects
    where id = project_uuid and user_id = (select auth.uid())
  );
$$;
revoke execute on function public.validate_project_ownership(uuid) from public;
revoke execute on function public.validate_project_ownership(uuid) from anon;

-- Runs with the caller's rights: RLS on projects does the scoping.
create function public.get_user_projects()
returns table (
  id uuid,
  name text,
  description text,
  table_count bigint,
  updated_at timestamptz
)
language sql
stable
security invoker
set search_path = ''
as $$
  select p.id, p.name, p.description, count(t.id), p.updated_at
  from public.projects p
  left join public.table_metadata t on t.project_id = p.id
  where p.user_id = (select auth.uid())
  group by p.id
  order by p.updated_at desc;
$$;
revoke execute on function public.get_user_projects() from public, anon;

create function public.get_project_schema(project_uuid uuid)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  result jsonb;
begin
  if not public.validate_project_ownership(project_uuid) then
    raise exception 'project % not found', project_uuid using errcode = '42501';
  end if;
  select jsonb_build_object(
    'project', to_jsonb(p),
    'tables', coalesce((
      select jsonb_agg(to_jsonb(t) || jsonb_build_object('columns', coalesce((
        select jsonb_agg(to_jsonb(c) order by c.ordinal)
        from public.column_metadata c where c.table_id = t.id
      ), '[]'::jsonb)))
      from public.table_metadata t where t.project_id = p.id
    ), '[]'::jsonb),
    'relationships', coalesce((
      select jsonb_agg(to_jsonb(r)) from public.relationships r where r.project_id = p.id
    ), '[]'::jsonb)
  )
  into result
  from public.projects p
  where p.id = project_uuid;
  return result;
end;
$$;
revoke execute on function public.get_project_schema(uuid) from public, anon;
