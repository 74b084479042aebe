-- Stand-in for plv8: the language exists so functions written in it are created; calling
-- one fails (its JavaScript body is not run).
create trusted language plv8 handler plpgsql_call_handler;
grant usage on language plv8 to postgres;
