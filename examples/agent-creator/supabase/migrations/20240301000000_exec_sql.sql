-- The migration runner (npm run migrate) sends each migration file through this RPC with the
-- service role key. As written in the project's README it is SECURITY DEFINER, has no pinned
-- search_path, and is executable by everyone: public-schema functions are granted to anon and
-- authenticated by default.
create or replace function exec_sql(sql text)
returns void
language plpgsql
security definer
as $$
begin
  execute sql;
end;
$$;
