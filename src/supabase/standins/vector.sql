-- Stand-in for pgvector: a `vector(n)` type stored as its text form ('[1,2,3]'), casts from
-- text and numeric arrays, and the distance operators computed in SQL. No index methods:
-- `create index ... using hnsw|ivfflat` is skipped (indexes do not change who sees what).
create type @extschema@.vector;
create function @extschema@.vector_in(cstring, oid, integer) returns @extschema@.vector
    language internal immutable strict parallel safe as 'textin';
create function @extschema@.vector_out(@extschema@.vector) returns cstring
    language internal immutable strict parallel safe as 'textout';
create function @extschema@.vector_typmod_in(cstring[]) returns integer
    language internal immutable strict parallel safe as 'varchartypmodin';
create function @extschema@.vector_typmod_out(integer) returns cstring
    language internal immutable strict parallel safe as 'varchartypmodout';
create type @extschema@.vector (
    input = @extschema@.vector_in,
    output = @extschema@.vector_out,
    typmod_in = @extschema@.vector_typmod_in,
    typmod_out = @extschema@.vector_typmod_out,
    internallength = variable,
    storage = extended
);
create cast (@extschema@.vector as text) without function as assignment;
create cast (text as @extschema@.vector) without function as assignment;
create cast (varchar as @extschema@.vector) without function as assignment;

create function @extschema@.vector_to_float8(v @extschema@.vector) returns float8[]
    language sql immutable strict parallel safe
    as $$ select string_to_array(btrim(v::text, '[] '), ',')::float8[] $$;
create function @extschema@.array_to_vector(a float8[], integer, boolean) returns @extschema@.vector
    language sql immutable strict parallel safe
    as $$ select ('[' || array_to_string(a, ',') || ']')::text::@extschema@.vector $$;
create function @extschema@.array_to_vector(a real[], integer, boolean) returns @extschema@.vector
    language sql immutable strict parallel safe
    as $$ select ('[' || array_to_string(a, ',') || ']')::text::@extschema@.vector $$;
create function @extschema@.array_to_vector(a numeric[], integer, boolean) returns @extschema@.vector
    language sql immutable strict parallel safe
    as $$ select ('[' || array_to_string(a, ',') || ']')::text::@extschema@.vector $$;
create function @extschema@.array_to_vector(a integer[], integer, boolean) returns @extschema@.vector
    language sql immutable strict parallel safe
    as $$ select ('[' || array_to_string(a, ',') || ']')::text::@extschema@.vector $$;
create cast (float8[] as @extschema@.vector)
    with function @extschema@.array_to_vector(float8[], integer, boolean) as assignment;
create cast (real[] as @extschema@.vector)
    with function @extschema@.array_to_vector(real[], integer, boolean) as assignment;
create cast (numeric[] as @extschema@.vector)
    with function @extschema@.array_to_vector(numeric[], integer, boolean) as assignment;
create cast (integer[] as @extschema@.vector)
    with function @extschema@.array_to_vector(integer[], integer, boolean) as assignment;

create function @extschema@.vector_dims(v @extschema@.vector) returns integer
    language sql immutable strict parallel safe
    as $$ select cardinality(@extschema@.vector_to_float8(v)) $$;
create function @extschema@.inner_product(a @extschema@.vector, b @extschema@.vector) returns float8
    language sql immutable strict parallel safe
    as $$ select sum(x * y) from unnest(@extschema@.vector_to_float8(a), @extschema@.vector_to_float8(b)) as p(x, y) $$;
create function @extschema@.vector_negative_inner_product(a @extschema@.vector, b @extschema@.vector) returns float8
    language sql immutable strict parallel safe
    as $$ select -@extschema@.inner_product(a, b) $$;
create function @extschema@.l2_distance(a @extschema@.vector, b @extschema@.vector) returns float8
    language sql immutable strict parallel safe
    as $$ select sqrt(sum((x - y) ^ 2)) from unnest(@extschema@.vector_to_float8(a), @extschema@.vector_to_float8(b)) as p(x, y) $$;
create function @extschema@.l1_distance(a @extschema@.vector, b @extschema@.vector) returns float8
    language sql immutable strict parallel safe
    as $$ select sum(abs(x - y)) from unnest(@extschema@.vector_to_float8(a), @extschema@.vector_to_float8(b)) as p(x, y) $$;
create function @extschema@.vector_norm(v @extschema@.vector) returns float8
    language sql immutable strict parallel safe
    as $$ select sqrt(sum(x * x)) from unnest(@extschema@.vector_to_float8(v)) as p(x) $$;
create function @extschema@.cosine_distance(a @extschema@.vector, b @extschema@.vector) returns float8
    language sql immutable strict parallel safe
    as $$ select 1 - @extschema@.inner_product(a, b)
                 / nullif(@extschema@.vector_norm(a) * @extschema@.vector_norm(b), 0) $$;
create operator @extschema@.<-> (leftarg = @extschema@.vector, rightarg = @extschema@.vector,
    function = @extschema@.l2_distance, commutator = operator(@extschema@.<->));
create operator @extschema@.<#> (leftarg = @extschema@.vector, rightarg = @extschema@.vector,
    function = @extschema@.vector_negative_inner_product, commutator = operator(@extschema@.<#>));
create operator @extschema@.<=> (leftarg = @extschema@.vector, rightarg = @extschema@.vector,
    function = @extschema@.cosine_distance, commutator = operator(@extschema@.<=>));
create operator @extschema@.<+> (leftarg = @extschema@.vector, rightarg = @extschema@.vector,
    function = @extschema@.l1_distance, commutator = operator(@extschema@.<+>));
