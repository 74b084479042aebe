-- exec_sql runs any statement as its owner (postgres, which bypasses RLS). Only the migration
-- runner, holding the service role key, may call it; nobody else may even see it work.
alter function public.exec_sql(text) set search_path = '';
revoke execute on function public.exec_sql(text) from public;
revoke execute on function public.exec_sql(text) from anon;
revoke execute on function public.exec_sql(text) from authenticated;
grant execute on function public.exec_sql(text) to service_role;
