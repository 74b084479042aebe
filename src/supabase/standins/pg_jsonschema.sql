-- Stand-in for pg_jsonschema: JSON Schema validation in PL/pgSQL. Keywords checked: type,
-- enum, const, properties, required, additionalProperties, patternProperties,
-- min/maxProperties, items, prefixItems, min/maxItems, uniqueItems, contains, min/maxLength,
-- pattern (Postgres regular expressions), minimum, maximum, exclusiveMinimum/Maximum,
-- multipleOf, allOf, anyOf, oneOf, not, if/then/else, and $ref within the document
-- (#/definitions/..., #/$defs/...). format is an annotation, as in draft 2020-12.
create function @extschema@._jsonschema_errors(schema jsonb, instance jsonb, root jsonb, path text)
returns setof text
language plpgsql immutable set search_path = '' as $$
declare
  t text := jsonb_typeof(instance);
  k text;
  v jsonb;
  i integer;
  n integer;
  matched integer;
  types jsonb;
begin
  if schema is null or schema = 'true'::jsonb or schema = '{}'::jsonb then
    return;
  end if;
  if schema = 'false'::jsonb then
    return next path || ': no value is allowed here';
    return;
  end if;
  if jsonb_typeof(schema) <> 'object' then
    return;
  end if;
  if schema ? '$ref' then
    k := schema ->> '$ref';
    if k = '#' then
      return query select @extschema@._jsonschema_errors(root, instance, root, path);
    elsif k like '#/%' then
      return query select @extschema@._jsonschema_errors(
        root #> string_to_array(replace(replace(substr(k, 3), '~1', '/'), '~0', '~'), '/'),
        instance, root, path);
    end if;
  end if;
  if schema ? 'type' then
    types := case when jsonb_typeof(schema -> 'type') = 'array' then schema -> 'type'
                  else jsonb_build_array(schema -> 'type') end;
    if not exists (
      select from jsonb_array_elements_text(types) as x(name)
      where x.name = t
         or (x.name = 'integer' and t = 'number' and (instance #>> '{}')::numeric = trunc((instance #>> '{}')::numeric))
    ) then
      return next format('%s: %s is not of type %s', path, instance, types);
      return;
    end if;
  end if;
  if schema ? 'enum' and not (schema -> 'enum') @> jsonb_build_array(instance) then
    return next format('%s: %s is not one of %s', path, instance, schema -> 'enum');
  end if;
  if schema ? 'const' and schema -> 'const' <> instance then
    return next format('%s: %s is not %s', path, instance, schema -> 'const');
  end if;
  if schema ? 'allOf' then
    for v in select jsonb_array_elements(schema -> 'allOf') loop
      return query select @extschema@._jsonschema_errors(v, instance, root, path);
    end loop;
  end if;
  if schema ? 'anyOf' and not exists (
    select from jsonb_array_elements(schema -> 'anyOf') as s(sub)
    where not exists (select from @extschema@._jsonschema_errors(s.sub, instance, root, path))
  ) then
    return next format('%s: %s matches none of anyOf', path, instance);
  end if;
  if schema ? 'oneOf' then
    select count(*) into matched from jsonb_array_elements(schema -> 'oneOf') as s(sub)
    where not exists (select from @extschema@._jsonschema_errors(s.sub, instance, root, path));
    if matched <> 1 then
      return next format('%s: %s matches %s of oneOf, not exactly one', path, instance, matched);
    end if;
  end if;
  if schema ? 'not' and not exists (select from @extschema@._jsonschema_errors(schema -> 'not', instance, root, path)) then
    return next format('%s: %s must not match the "not" schema', path, instance);
  end if;
  if schema ? 'if' then
    if not exists (select from @extschema@._jsonschema_errors(schema -> 'if', instance, root, path)) then
      return query select @extschema@._jsonschema_errors(schema -> 'then', instance, root, path);
    else
      return query select @extschema@._jsonschema_errors(schema -> 'else', instance, root, path);
    end if;
  end if;
  if t = 'object' then
    if schema ? 'required' then
      for k in select jsonb_array_elements_text(schema -> 'required') loop
        if not instance ? k then
          return next format('%s: "%s" is a required property', path, k);
        end if;
      end loop;
    end if;
    if schema ? 'minProperties' and (select count(*) from jsonb_object_keys(instance)) < (schema ->> 'minProperties')::int then
      return next format('%s: fewer than %s properties', path, schema ->> 'minProperties');
    end if;
    if schema ? 'maxProperties' and (select count(*) from jsonb_object_keys(instance)) > (schema ->> 'maxProperties')::int then
      return next format('%s: more than %s properties', path, schema ->> 'maxProperties');
    end if;
    for k, v in select key, value from jsonb_each(instance) loop
      if schema -> 'properties' ? k then
        return query select @extschema@._jsonschema_errors(schema -> 'properties' -> k, v, root, path || '/' || k);
      end if;
      if schema ? 'patternProperties' then
        return query select @extschema@._jsonschema_errors(p.value, v, root, path || '/' || k)
          from jsonb_each(schema -> 'patternProperties') as p where k ~ p.key;
      end if;
      if schema ? 'additionalProperties'
         and not coalesce(schema -> 'properties' ? k, false)
         and not exists (select from jsonb_object_keys(coalesce(schema -> 'patternProperties', '{}')) as p(key) where k ~ p.key)
      then
        return query select @extschema@._jsonschema_errors(schema -> 'additionalProperties', v, root, path || '/' || k);
      end if;
    end loop;
  elsif t = 'array' then
    n := jsonb_array_length(instance);
    if schema ? 'minItems' and n < (schema ->> 'minItems')::int then
      return next format('%s: fewer than %s items', path, schema ->> 'minItems');
    end if;
    if schema ? 'maxItems' and n > (schema ->> 'maxItems')::int then
      return next format('%s: more than %s items', path, schema ->> 'maxItems');
    end if;
    if (schema ->> 'uniqueItems')::boolean and (select count(distinct e) from jsonb_array_elements(instance) as e) < n then
      return next format('%s: items are not unique', path);
    end if;
    if schema ? 'contains' and not exists (
      select from jsonb_array_elements(instance) as e
      where not exists (select from @extschema@._jsonschema_errors(schema -> 'contains', e, root, path))
    ) then
      return next format('%s: no item matches "contains"', path);
    end if;
    for i in 0 .. n - 1 loop
      if jsonb_typeof(schema -> 'prefixItems') = 'array' and i < jsonb_array_length(schema -> 'prefixItems') then
        return query select @extschema@._jsonschema_errors(schema -> 'prefixItems' -> i, instance -> i, root, path || '/' || i);
      elsif jsonb_typeof(schema -> 'items') = 'array' then
        if i < jsonb_array_length(schema -> 'items') then
          return query select @extschema@._jsonschema_errors(schema -> 'items' -> i, instance -> i, root, path || '/' || i);
        elsif schema ? 'additionalItems' then
          return query select @extschema@._jsonschema_errors(schema -> 'additionalItems', instance -> i, root, path || '/' || i);
        end if;
      elsif schema ? 'items' then
        return query select @extschema@._jsonschema_errors(schema -> 'items', instance -> i, root, path || '/' || i);
      end if;
    end loop;
  elsif t = 'string' then
    n := char_length(instance #>> '{}');
    if schema ? 'minLength' and n < (schema ->> 'minLength')::int then
      return next format('%s: %s is shorter than %s characters', path, instance, schema ->> 'minLength');
    end if;
    if schema ? 'maxLength' and n > (schema ->> 'maxLength')::int then
      return next format('%s: %s is longer than %s characters', path, instance, schema ->> 'maxLength');
    end if;
    if schema ? 'pattern' and not (instance #>> '{}') ~ (schema ->> 'pattern') then
      return next format('%s: %s does not match %s', path, instance, schema -> 'pattern');
    end if;
  elsif t = 'number' then
    if schema ? 'minimum' and (instance #>> '{}')::numeric < (schema ->> 'minimum')::numeric then
      return next format('%s: %s is less than %s', path, instance, schema ->> 'minimum');
    end if;
    if schema ? 'maximum' and (instance #>> '{}')::numeric > (schema ->> 'maximum')::numeric then
      return next format('%s: %s is greater than %s', path, instance, schema ->> 'maximum');
    end if;
    if jsonb_typeof(schema -> 'exclusiveMinimum') = 'number' and (instance #>> '{}')::numeric <= (schema ->> 'exclusiveMinimum')::numeric then
      return next format('%s: %s is not greater than %s', path, instance, schema ->> 'exclusiveMinimum');
    end if;
    if jsonb_typeof(schema -> 'exclusiveMaximum') = 'number' and (instance #>> '{}')::numeric >= (schema ->> 'exclusiveMaximum')::numeric then
      return next format('%s: %s is not less than %s', path, instance, schema ->> 'exclusiveMaximum');
    end if;
    if schema ? 'multipleOf' and mod((instance #>> '{}')::numeric, (schema ->> 'multipleOf')::numeric) <> 0 then
      return next format('%s: %s is not a multiple of %s', path, instance, schema ->> 'multipleOf');
    end if;
  end if;
end
$$;

create function @extschema@.jsonschema_validation_errors(schema json, instance json) returns text[]
language sql immutable set search_path = '' as $$
  select coalesce(array_agg(e), '{}')
  from @extschema@._jsonschema_errors(schema::jsonb, instance::jsonb, schema::jsonb, '') as e
$$;

create function @extschema@.json_matches_schema(schema json, instance json) returns boolean
language sql immutable set search_path = '' as $$
  select not exists (select from @extschema@._jsonschema_errors(schema::jsonb, instance::jsonb, schema::jsonb, ''))
$$;

create function @extschema@.jsonb_matches_schema(schema json, instance jsonb) returns boolean
language sql immutable set search_path = '' as $$
  select not exists (select from @extschema@._jsonschema_errors(schema::jsonb, instance, schema::jsonb, ''))
$$;

create function @extschema@.jsonschema_is_valid(schema json) returns boolean
language sql immutable set search_path = '' as $$
  select case jsonb_typeof(schema::jsonb)
    when 'boolean' then true
    when 'object' then not exists (
      select from jsonb_array_elements(case jsonb_typeof(schema::jsonb -> 'type')
                                         when 'array' then schema::jsonb -> 'type'
                                         when 'string' then jsonb_build_array(schema::jsonb -> 'type')
                                         else '[]' end) as t
      where jsonb_typeof(t) <> 'string'
         or t #>> '{}' not in ('null', 'boolean', 'object', 'array', 'number', 'integer', 'string'))
      and coalesce(jsonb_typeof(schema::jsonb -> 'type'), 'string') in ('string', 'array')
    else false
  end
$$;
