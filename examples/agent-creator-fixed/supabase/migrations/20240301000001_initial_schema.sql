-- AI agent creator: users build voice/chat agents, feed them knowledge and embed them.
create extension if not exists "uuid-ossp" with schema extensions;

create table public.users (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  full_name text,
  avatar_url text,
  company_name text,
  plan text not null default 'free' check (plan in ('free', 'pro', 'enterprise')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.agents (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  name text not null default 'New agent',
  description text,
  personality_tone text not null default 'friendly',
  system_prompt text,
  voice text,
  language text not null default 'en',
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- A conversation happens on an agent; the participant is the signed-in person talking to it.
create table public.conversations (
  id uuid primary key default extensions.uuid_generate_v4(),
  agent_id uuid not null references public.agents (id) on delete cascade,
  participant_id uuid not null references auth.users (id) on delete cascade,
  status text not null default 'active' check (status in ('active', 'ended', 'escalated')),
  ended_at timestamptz,
  channel text not null default 'widget' check (channel in ('widget', 'sip', 'api')),
  started_at timestamptz not null default now()
);

create table public.messages (
  id uuid primary key default extensions.uuid_generate_v4(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  role text not null default 'user' check (role in ('user', 'assistant', 'system')),
  content text not null default '',
  created_at timestamptz not null default now()
);

create table public.knowledge_base_documents (
  id uuid primary key default extensions.uuid_generate_v4(),
  agent_id uuid not null references public.agents (id) on delete cascade,
  title text not null default 'Document',
  file_path text,
  content text,
  status text not null default 'pending' check (status in ('pending', 'indexed', 'failed')),
  created_at timestamptz not null default now()
);

create table public.knowledge_base_urls (
  id uuid primary key default extensions.uuid_generate_v4(),
  agent_id uuid not null references public.agents (id) on delete cascade,
  url text not null default 'https://example.com',
  crawl_depth integer not null default 1 check (crawl_depth between 0 and 5),
  last_crawled_at timestamptz,
  created_at timestamptz not null default now()
);

create table public.knowledge_base_faqs (
  id uuid primary key default extensions.uuid_generate_v4(),
  agent_id uuid not null references public.agents (id) on delete cascade,
  question text not null default '',
  answer text not null default '',
  created_at timestamptz not null default now()
);

create table public.widget_configs (
  id uuid primary key default extensions.uuid_generate_v4(),
  agent_id uuid not null unique references public.agents (id) on delete cascade,
  theme jsonb not null default '{}'::jsonb,
  welcome_message text,
  allowed_domains text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.sip_configs (
  id uuid primary key default extensions.uuid_generate_v4(),
  agent_id uuid not null unique references public.agents (id) on delete cascade,
  sip_uri text,
  username text,
  password_encrypted text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index agents_user_id_idx on public.agents (user_id);
create index conversations_agent_id_idx on public.conversations (agent_id, started_at desc);
create index conversations_participant_id_idx on public.conversations (participant_id);
create index messages_conversation_id_idx on public.messages (conversation_id, created_at);
create index knowledge_base_documents_agent_id_idx on public.knowledge_base_documents (agent_id);
create index knowledge_base_urls_agent_id_idx on public.knowledge_base_urls (agent_id);
create index knowledge_base_faqs_agent_id_idx on public.knowledge_base_faqs (agent_id);

-- Profiles are created on signup.
create function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.users (id, email, full_name)
  values (new.id, new.email, new.raw_user_meta_data ->> 'full_name')
  on conflict (id) do nothing;
  return new;
end;
$$;
revoke execute on function public.handle_new_user() from public;
revoke execute on function public.handle_new_user() from anon;
revoke execute on function public.handle_new_user() from authenticated;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();
