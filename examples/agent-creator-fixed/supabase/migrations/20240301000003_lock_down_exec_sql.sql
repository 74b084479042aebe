-- exec_sql runs any statement as its owner (postgres, which bypasses RLS). Only the migration
-- runner, holding the service role key, may call it; nobody else may even see it work.
alter function public.exec_sql(text) set search_path = '';
revoke execute on function public.exec_sql(text) from public;
revoke execute on function public.exec_sql(text) from anon;
revoke execute on function public.exec_sql(text) from authenticated;
grant execute on function public.exec_sql(text) to service_role;

-- Row level security does not govern TRUNCATE, which Supabase's default privileges grant on
-- every public table: take it back from the API roles, now and for tables to come.
revoke truncate on all tables in schema public from anon;
revoke truncate on all tables in schema public from authenticated;
alter default privileges for role postgres in schema public revoke truncate on tables from anon;
alter default privileges for role postgres in schema public
  revoke truncate on tables from authenticated;
