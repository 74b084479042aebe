-- Stand-in for pg_graphql: the entry points exist and answer with a GraphQL error.
create schema if not exists graphql;
create function graphql.resolve(
    query text, variables jsonb default '{}', "operationName" text default null,
    extensions jsonb default null
) returns jsonb language sql stable
as $$ select '{"errors": [{"message": "pg_graphql is not available in this emulation"}]}'::jsonb $$;
create function graphql.comment_directive(comment_ text) returns jsonb
    language sql immutable as $$ select null::jsonb $$;
grant usage on schema graphql to postgres, anon, authenticated, service_role;
grant execute on all functions in schema graphql to postgres, anon, authenticated, service_role;
