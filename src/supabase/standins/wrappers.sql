-- Stand-in for wrappers (Supabase's foreign data wrappers): every wrapper's handler, validator
-- and meta function exist, so `create foreign data wrapper`, `create server` and
-- `create foreign table` apply. The handlers are file_fdw's (contrib): reading a foreign table
-- fails, since there is no remote data. Validators accept any option.
create table @extschema@.wrappers_fdw_stats (
    fdw_name text primary key,
    create_times bigint,
    rows_in bigint,
    rows_out bigint,
    bytes_in bigint,
    bytes_out bigint,
    metadata jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
do $$
declare
  fdw text;
begin
  foreach fdw in array array['airtable', 'auth0', 'big_query', 'click_house', 'cognito', 'duckdb',
    'dynamo_db', 'firebase', 'hello_world', 'iceberg', 'logflare', 'mongodb', 'mssql', 'mysql',
    'redis', 's3', 's3_vectors', 'stripe', 'wasm']
  loop
    execute format($f$create function @extschema@.%I() returns fdw_handler
                      language c strict as '$libdir/file_fdw', 'file_fdw_handler'$f$, fdw || '_fdw_handler');
    execute format($f$create function @extschema@.%I(options text[], catalog oid) returns void
                      language plpgsql as 'begin end'$f$, fdw || '_fdw_validator');
    execute format($f$create function @extschema@.%I()
                      returns table (name text, version text, author text, website text)
                      language sql as %L$f$,
                   fdw || '_fdw_meta', format('select %L, %L, %L, %L', fdw, 'stand-in', 'rlsgate', ''));
  end loop;
end
$$;
