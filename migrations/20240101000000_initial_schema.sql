-- Chat + documents: profiles, settings, conversations, messages, documents and their chunks.
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

-- Supabase grants the API roles ALL on new public tables, TRUNCATE included, and row level
-- security does not govern TRUNCATE. Tables created from here on do not grant it.
alter default privileges for role postgres in schema public revoke truncate on tables from anon;
alter default privileges for role postgres in schema public
  revoke truncate on tables from authenticated;

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username text unique not null,
  full_name text,
  avatar_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.user_settings (
  user_id uuid primary key references auth.users (id) on delete cascade,
  notification_preferences jsonb not null default '{}'::jsonb,
  theme text not null default 'light' check (theme in ('light', 'dark', 'system')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.conversations (
  id uuid primary key default extensions.uuid_generate_v4(),
  title text not null default 'New conversation',
  owner_id uuid not null references auth.users (id) on delete cascade,
  is_archived boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.messages (
  id uuid primary key default extensions.uuid_generate_v4(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  sender_id uuid references auth.users (id) on delete set null,
  content text not null default '',
  is_ai boolean not null default false,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

create table public.documents (
  id uuid primary key default extensions.uuid_generate_v4(),
  owner_id uuid not null references auth.users (id) on delete cascade,
  title text not null default 'Untitled',
  description text,
  content text,
  file_path text,
  file_type text,
  file_size integer check (file_size is null or file_size >= 0),
  status text not null default 'uploaded'
    check (status in ('uploaded', 'processing', 'ready', 'failed')),
  is_public boolean not null default false,
  is_archived boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- pgvector is not available everywhere; embeddings are stored as a plain float array.
create table public.document_chunks (
  id uuid primary key default extensions.uuid_generate_v4(),
  document_id uuid not null references public.documents (id) on delete cascade,
  chunk_index integer not null default 0,
  content text not null default '',
  embedding real[],
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

create table public.document_conversation_links (
  document_id uuid not null references public.documents (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (document_id, conversation_id)
);

create index conversations_owner_id_idx on public.conversations (owner_id, updated_at desc);
create index messages_conversation_id_idx on public.messages (conversation_id, created_at);
create index messages_sender_id_idx on public.messages (sender_id);
create index documents_owner_id_idx on public.documents (owner_id);
create index documents_public_idx on public.documents (id) where is_public;
create index document_chunks_document_id_idx on public.document_chunks (document_id, chunk_index);
create index document_conversation_links_conversation_id_idx
  on public.document_conversation_links (conversation_id);
