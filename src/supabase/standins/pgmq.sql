-- Stand-in for pgmq (Supabase Queues), in PL/pgSQL after its documented interface: a queue is
-- the table pgmq.q_<name> (and pgmq.a_<name> for archived messages), listed in pgmq.meta.
-- Partitioned queues are plain queues; read_with_poll reads once and does not wait.
create schema if not exists pgmq;
create table pgmq.meta (
    queue_name varchar unique not null,
    is_partitioned boolean not null,
    is_unlogged boolean not null,
    created_at timestamptz not null default now()
);
create type pgmq.message_record as (
    msg_id bigint,
    read_ct integer,
    enqueued_at timestamptz,
    vt timestamptz,
    message jsonb
);
create type pgmq.queue_record as (
    queue_name varchar,
    is_partitioned boolean,
    is_unlogged boolean,
    created_at timestamptz
);
create type pgmq.metrics_result as (
    queue_name text,
    queue_length bigint,
    newest_msg_age_sec integer,
    oldest_msg_age_sec integer,
    total_messages bigint,
    scrape_time timestamptz
);

create function pgmq.format_table_name(queue_name text, prefix text) returns text
language plpgsql immutable set search_path = '' as $$
begin
  if queue_name ~ '\$|;|--|''' then
    raise exception 'queue name contains invalid characters: $, ;, --, or \''';
  end if;
  return lower(prefix || '_' || queue_name);
end
$$;

create function pgmq.validate_queue_name(queue_name text) returns void
language plpgsql set search_path = '' as $$
begin
  if length(queue_name) >= 48 then
    raise exception 'queue name is too long, maximum length is 48 characters';
  end if;
end
$$;

create function pgmq._create(queue_name text, unlogged boolean, partitioned boolean) returns void
language plpgsql set search_path = '' as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
begin
  perform pgmq.validate_queue_name(queue_name);
  execute format(
    'create %s table if not exists pgmq.%I (
       msg_id bigint primary key generated always as identity,
       read_ct integer not null default 0,
       enqueued_at timestamptz not null default now(),
       vt timestamptz not null,
       message jsonb)',
    case when unlogged then 'unlogged' else '' end, qtable);
  execute format(
    'create table if not exists pgmq.%I (
       msg_id bigint primary key,
       read_ct integer not null default 0,
       enqueued_at timestamptz not null default now(),
       archived_at timestamptz not null default now(),
       vt timestamptz not null,
       message jsonb)', atable);
  execute format('create index if not exists %I on pgmq.%I (vt asc)', qtable || '_vt_idx', qtable);
  execute format('create index if not exists %I on pgmq.%I (archived_at)', 'archived_at_idx_' || queue_name, atable);
  insert into pgmq.meta (queue_name, is_partitioned, is_unlogged)
  values (queue_name, partitioned, unlogged)
  on conflict do nothing;
end
$$;

create function pgmq."create"(queue_name text) returns void
language sql set search_path = '' as $$ select pgmq._create(queue_name, false, false) $$;
create function pgmq.create_non_partitioned(queue_name text) returns void
language sql set search_path = '' as $$ select pgmq._create(queue_name, false, false) $$;
create function pgmq.create_unlogged(queue_name text) returns void
language sql set search_path = '' as $$ select pgmq._create(queue_name, true, false) $$;
create function pgmq.create_partitioned(
    queue_name text, partition_interval text default '10000', retention_interval text default '100000'
) returns void
language sql set search_path = '' as $$ select pgmq._create(queue_name, false, true) $$;

create function pgmq.send(queue_name text, msg jsonb, delay integer default 0) returns setof bigint
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    'insert into pgmq.%I (vt, message) values (clock_timestamp() + make_interval(secs => $1), $2) returning msg_id',
    pgmq.format_table_name(queue_name, 'q')) using delay, msg;
end
$$;

create function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer default 0) returns setof bigint
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    'insert into pgmq.%I (vt, message)
     select clock_timestamp() + make_interval(secs => $1), m from unnest($2) with ordinality as u(m, n) order by n
     returning msg_id',
    pgmq.format_table_name(queue_name, 'q')) using delay, msgs;
end
$$;

create function pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb default '{}')
returns setof pgmq.message_record
language plpgsql set search_path = '' as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute format(
    'with picked as (
       select msg_id from pgmq.%I
       where vt <= clock_timestamp() and case when $3 = ''{}''::jsonb then true else message @> $3 end
       order by msg_id limit $1 for update skip locked)
     update pgmq.%I m set vt = clock_timestamp() + make_interval(secs => $2), read_ct = read_ct + 1
     from picked where m.msg_id = picked.msg_id
     returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message',
    qtable, qtable) using qty, vt, conditional;
end
$$;

create function pgmq.read_with_poll(
    queue_name text, vt integer, qty integer, max_poll_seconds integer default 5,
    poll_interval_ms integer default 100, conditional jsonb default '{}'
) returns setof pgmq.message_record
language sql set search_path = '' as $$ select * from pgmq.read(queue_name, vt, qty, conditional) $$;

create function pgmq.pop(queue_name text) returns setof pgmq.message_record
language plpgsql set search_path = '' as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
begin
  return query execute format(
    'with picked as (
       select msg_id from pgmq.%I where vt <= clock_timestamp() order by msg_id limit 1 for update skip locked)
     delete from pgmq.%I m using picked where m.msg_id = picked.msg_id
     returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message',
    qtable, qtable);
end
$$;

create function pgmq.set_vt(queue_name text, msg_id bigint, vt integer) returns setof pgmq.message_record
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    'update pgmq.%I set vt = clock_timestamp() + make_interval(secs => $2) where msg_id = $1
     returning msg_id, read_ct, enqueued_at, vt, message',
    pgmq.format_table_name(queue_name, 'q')) using msg_id, vt;
end
$$;

create function pgmq.archive(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    'with moved as (delete from pgmq.%I where msg_id = any($1) returning msg_id, read_ct, enqueued_at, vt, message)
     insert into pgmq.%I (msg_id, read_ct, enqueued_at, vt, message)
     select msg_id, read_ct, enqueued_at, vt, message from moved returning msg_id',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a')) using msg_ids;
end
$$;

create function pgmq.archive(queue_name text, msg_id bigint) returns boolean
language sql set search_path = '' as $$ select exists (select from pgmq.archive(queue_name, array[msg_id])) $$;

create function pgmq.delete(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql set search_path = '' as $$
begin
  return query execute format(
    'delete from pgmq.%I where msg_id = any($1) returning msg_id',
    pgmq.format_table_name(queue_name, 'q')) using msg_ids;
end
$$;

create function pgmq.delete(queue_name text, msg_id bigint) returns boolean
language sql set search_path = '' as $$ select exists (select from pgmq.delete(queue_name, array[msg_id])) $$;

create function pgmq.purge_queue(queue_name text) returns bigint
language plpgsql set search_path = '' as $$
declare
  deleted bigint;
begin
  execute format('with d as (delete from pgmq.%I returning 1) select count(*) from d',
    pgmq.format_table_name(queue_name, 'q')) into deleted;
  return deleted;
end
$$;

create function pgmq.drop_queue(queue_name text) returns boolean
language plpgsql set search_path = '' as $$
begin
  execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
  execute format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'a'));
  delete from pgmq.meta m where m.queue_name = drop_queue.queue_name;
  return true;
end
$$;

create function pgmq.list_queues() returns setof pgmq.queue_record
language sql set search_path = '' as $$ select queue_name, is_partitioned, is_unlogged, created_at from pgmq.meta order by queue_name $$;

create function pgmq.metrics(queue_name text) returns pgmq.metrics_result
language plpgsql set search_path = '' as $$
declare
  result pgmq.metrics_result;
begin
  execute format(
    'select $1, count(*), extract(epoch from clock_timestamp() - max(enqueued_at))::integer,
            extract(epoch from clock_timestamp() - min(enqueued_at))::integer,
            coalesce((select max(msg_id) from pgmq.%I), 0), clock_timestamp()
     from pgmq.%I',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'q'))
    into result using queue_name;
  return result;
end
$$;

create function pgmq.metrics_all() returns setof pgmq.metrics_result
language sql set search_path = '' as $$ select (pgmq.metrics(queue_name)).* from pgmq.meta order by queue_name $$;

-- On Supabase, `postgres` creates and manages queues (and grants them to the API roles).
grant usage, create on schema pgmq to postgres with grant option;
grant all on pgmq.meta to postgres with grant option;
