-- Stand-in for pgsql-http: the same types and functions; no request leaves the machine,
-- every call answers status 503 with no body (content is null).
create domain @extschema@.http_method as text;
create type @extschema@.http_header as (field varchar, value varchar);
create type @extschema@.http_request as (
    method @extschema@.http_method, uri varchar, headers @extschema@.http_header[],
    content_type varchar, content varchar);
create type @extschema@.http_response as (
    status integer, content_type varchar, headers @extschema@.http_header[], content varchar);
create function @extschema@.http_header(field varchar, value varchar) returns @extschema@.http_header
    language sql immutable as $$ select row(field, value)::@extschema@.http_header $$;
create function @extschema@.http(request @extschema@.http_request) returns @extschema@.http_response
    language sql volatile
    as $$ select row(503, 'text/plain', array[]::@extschema@.http_header[], null)::@extschema@.http_response $$;
create function @extschema@.http_get(uri varchar) returns @extschema@.http_response
    language sql volatile as $$ select @extschema@.http(row('GET', uri, null, null, null)) $$;
create function @extschema@.http_get(uri varchar, data jsonb) returns @extschema@.http_response
    language sql volatile as $$ select @extschema@.http(row('GET', uri, null, null, null)) $$;
create function @extschema@.http_post(uri varchar, content varchar, content_type varchar) returns @extschema@.http_response
    language sql volatile as $$ select @extschema@.http(row('POST', uri, null, content_type, content)) $$;
create function @extschema@.http_post(uri varchar, data jsonb) returns @extschema@.http_response
    language sql volatile as $$ select @extschema@.http(row('POST', uri, null, null, data::text)) $$;
create function @extschema@.http_put(uri varchar, content varchar, content_type varchar) returns @extschema@.http_response
    language sql volatile as $$ select @extschema@.http(row('PUT', uri, null, content_type, content)) $$;
create function @extschema@.http_patch(uri varchar, content varchar, content_type varchar) returns @extschema@.http_response
    language sql volatile as $$ select @extschema@.http(row('PATCH', uri, null, content_type, content)) $$;
create function @extschema@.http_delete(uri varchar) returns @extschema@.http_response
    language sql volatile as $$ select @extschema@.http(row('DELETE', uri, null, null, null)) $$;
create function @extschema@.http_head(uri varchar) returns @extschema@.http_response
    language sql volatile as $$ select @extschema@.http(row('HEAD', uri, null, null, null)) $$;
create function @extschema@.urlencode(string varchar) returns text
    language sql immutable strict as $$
  select string_agg(case when c ~ '[A-Za-z0-9._~-]' then c
                         else upper(regexp_replace(encode(convert_to(c, 'UTF8'), 'hex'), '(..)', '%\1', 'g')) end, '')
  from regexp_split_to_table(string, '') as c
$$;
create function @extschema@.http_set_curlopt(curlopt varchar, value varchar) returns boolean
    language sql volatile as $$ select true $$;
create function @extschema@.http_reset_curlopt() returns boolean
    language sql volatile as $$ select true $$;
