-- Stand-in for pgjwt: HMAC-signed JSON Web Tokens built on pgcrypto (extensions.hmac).
create function @extschema@.url_encode(data bytea) returns text
    language sql immutable
    as $$ select rtrim(translate(encode(data, 'base64'), E'+/\n', '-_'), '=') $$;
create function @extschema@.url_decode(data text) returns bytea
    language sql immutable as $$
  select decode(t || repeat('=', (4 - length(t) % 4) % 4), 'base64')
  from (select translate(data, '-_', '+/') as t) as s
$$;
create function @extschema@.algorithm_sign(signables text, secret text, algorithm text) returns text
    language sql immutable as $$
  select @extschema@.url_encode(extensions.hmac(signables, secret,
    case algorithm when 'HS256' then 'sha256' when 'HS384' then 'sha384' when 'HS512' then 'sha512' end))
$$;
create function @extschema@.sign(payload json, secret text, algorithm text default 'HS256') returns text
    language sql immutable as $$
  with parts as (
    select @extschema@.url_encode(convert_to(json_build_object('alg', algorithm, 'typ', 'JWT')::text, 'UTF8'))
           || '.' || @extschema@.url_encode(convert_to(payload::text, 'UTF8')) as signables
  )
  select signables || '.' || @extschema@.algorithm_sign(signables, secret, algorithm) from parts
$$;
create function @extschema@.try_cast_double(inp text) returns double precision
    language plpgsql immutable as $$
begin
  return inp::double precision;
exception when others then
  return null;
end
$$;
create function @extschema@.verify(token text, secret text, algorithm text default 'HS256')
    returns table (header json, payload json, valid boolean)
    language sql immutable as $$
  select convert_from(@extschema@.url_decode(p[1]), 'UTF8')::json,
         convert_from(@extschema@.url_decode(p[2]), 'UTF8')::json,
         p[3] = @extschema@.algorithm_sign(p[1] || '.' || p[2], secret, algorithm)
  from (select string_to_array(token, '.') as p) as s
$$;
