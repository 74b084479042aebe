-- project: examples/agent-creator-fixed
-- expect-fail: table=public.call_recordings identity=anon command=select
-- expect-fail: table=public.call_recordings identity=alice command=select
-- expect-fail: table=public.call_recordings identity=anon command=insert
-- Voice calls are recorded: a new table for the recordings of an agent's calls. The
-- migration forgets to enable row level security, and Supabase's default privileges grant
-- every table of public to anon and authenticated: every visitor lists, adds and deletes the
-- recordings of every agent.
create table public.call_recordings (
  id uuid primary key default extensions.uuid_generate_v4(),
  agent_id uuid not null references public.agents (id) on delete cascade,
  caller_number text not null default '',
  recording_url text not null default '',
  duration_seconds integer not null default 0,
  created_at timestamptz not null default now()
);
