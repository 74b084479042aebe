-- Stand-in for pg_cron: jobs are recorded in cron.job and never run.
create schema if not exists cron;
create table cron.job (
    jobid bigserial primary key,
    schedule text not null,
    command text not null,
    nodename text not null default 'localhost',
    nodeport integer not null default 5432,
    database text not null default current_database(),
    username text not null default current_user,
    active boolean not null default true,
    jobname text
);
create unique index job_username_jobname_idx on cron.job (username, jobname);
create table cron.job_run_details (
    jobid bigint, runid bigserial primary key, job_pid integer, database text, username text,
    command text, status text, return_message text, start_time timestamptz, end_time timestamptz
);
create function cron.schedule(schedule text, command text) returns bigint
    language sql as $$ insert into cron.job (schedule, command) values (schedule, command) returning jobid $$;
create function cron.schedule(job_name text, schedule text, command text) returns bigint
    language sql as $$
  insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
  on conflict (username, jobname) do update set schedule = excluded.schedule, command = excluded.command
  returning jobid
$$;
create function cron.schedule_in_database(job_name text, schedule text, command text, database text,
    username text default null, active boolean default true) returns bigint
    language sql as $$ select cron.schedule(job_name, schedule, command) $$;
create function cron.unschedule(job_id bigint) returns boolean
    language sql as $$ with d as (delete from cron.job where jobid = job_id returning 1) select count(*) > 0 from d $$;
create function cron.unschedule(job_name text) returns boolean
    language plpgsql as $$
begin
  delete from cron.job where jobname = job_name and username = current_user;
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name;
  end if;
  return true;
end
$$;
grant usage on schema cron to postgres with grant option;
grant all on all tables in schema cron to postgres with grant option;
grant all on all sequences in schema cron to postgres with grant option;
grant execute on all functions in schema cron to postgres with grant option;
