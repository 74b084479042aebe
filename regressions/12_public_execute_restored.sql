-- expect-fail: function=public.my_conversation_count() identity=anon
-- The function is re-created by a later migration, which does not repeat its revokes: PUBLIC
-- (and, through Supabase's default privileges, anon) may call it again.
drop function public.my_conversation_count();
create function public.my_conversation_count()
returns bigint
language sql
stable
set search_path = ''
as $$
  select count(*) from public.conversations where owner_id = auth.uid();
$$;
