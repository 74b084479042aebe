-- PromptCraft Forge: prompt generation with user-supplied AI provider keys, history,
-- templates, a feedback desk, and analytics.
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

-- Supabase grants the API roles ALL on new public tables, TRUNCATE included, and row level
-- security does not govern TRUNCATE. Tables created from here on do not grant it.
alter default privileges for role postgres in schema public revoke truncate on tables from anon;
alter default privileges for role postgres in schema public
  revoke truncate on tables from authenticated;

-- 01 core functions ----------------------------------------------------------------------

create function public.update_updated_at_column()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- Admins are marked in app_metadata, which only the server (service role) can set.
create function public.is_admin()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false);
$$;

create function public.validate_api_key_format(provider_name text, api_key text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case provider_name
    when 'openai' then api_key ~ '^sk-[A-Za-z0-9_-]{20,}$'
    when 'anthropic' then api_key ~ '^sk-ant-[A-Za-z0-9_-]{20,}$'
    else length(api_key) >= 16
  end;
$$;

-- 02 user management ---------------------------------------------------------------------

create table public.user_profiles (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  display_name varchar(100),
  avatar_url text,
  bio text,
  preferences jsonb not null default '{}'::jsonb,
  is_active boolean not null default true,
  last_login_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.user_preferences (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  selected_model varchar(50) not null default 'gpt-4o-mini',
  selected_framework varchar(50) not null default 'costar',
  theme varchar(20) not null default 'system' check (theme in ('light', 'dark', 'system')),
  language varchar(10) not null default 'en',
  enable_notifications boolean not null default true,
  enable_analytics boolean not null default false,
  enable_history boolean not null default true,
  enable_feedback boolean not null default true,
  max_history_days integer not null default 90 check (max_history_days between 1 and 3650),
  auto_cleanup boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.user_sessions (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  user_agent text,
  ip_address inet,
  started_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  ended_at timestamptz
);

-- 03 api management ----------------------------------------------------------------------

create table public.api_providers (
  id uuid primary key default extensions.uuid_generate_v4(),
  name varchar(50) not null unique,
  display_name varchar(100) not null default 'Provider',
  base_url text not null default 'https://api.example.com',
  api_key_pattern text,
  is_enabled boolean not null default true,
  max_requests_per_minute integer not null default 60 check (max_requests_per_minute > 0),
  max_requests_per_day integer not null default 10000 check (max_requests_per_day > 0),
  supported_models jsonb not null default '[]'::jsonb,
  validation_rules jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Keys are encrypted by the client (VITE_ENCRYPTION_KEY) before they reach the database.
create table public.api_configurations (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  provider varchar(50) not null,
  api_key_encrypted text not null default '',
  is_active boolean not null default true,
  is_validated boolean not null default false,
  last_validated_at timestamptz,
  validation_error text,
  usage_count integer not null default 0 check (usage_count >= 0),
  last_used_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.api_usage_logs (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  provider varchar(50) not null default 'openai',
  endpoint text not null default '/v1/chat/completions',
  request_size integer,
  response_size integer,
  response_time_ms integer,
  status_code integer,
  error_message text,
  created_at timestamptz not null default now()
);

-- 04 prompt management -------------------------------------------------------------------

create table public.prompt_frameworks (
  id uuid primary key default extensions.uuid_generate_v4(),
  name varchar(50) not null unique,
  display_name varchar(100) not null default 'Framework',
  description text,
  components jsonb not null default '[]'::jsonb,
  template text not null default '',
  examples jsonb not null default '[]'::jsonb,
  is_enabled boolean not null default true,
  sort_order integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.prompt_history (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  framework_id varchar(50),
  framework_name varchar(100),
  model varchar(50),
  provider varchar(50),
  user_input text not null default '',
  ai_response text,
  tone varchar(50),
  length varchar(50),
  temperature numeric(3, 2) check (temperature is null or temperature between 0 and 2),
  max_tokens integer,
  vibe_coding boolean not null default false,
  processing_time_ms integer,
  tokens_used integer,
  cost_usd numeric(10, 6),
  status varchar(20) not null default 'completed'
    check (status in ('pending', 'completed', 'failed')),
  error_message text,
  error_code varchar(50),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- user_id is null for the built-in templates shipped with the app.
create table public.prompt_templates (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid references auth.users (id) on delete cascade,
  name varchar(100) not null default 'Template',
  description text,
  framework_id varchar(50),
  template_content text not null default '',
  variables jsonb not null default '[]'::jsonb,
  is_public boolean not null default false,
  is_active boolean not null default true,
  usage_count integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- 05 feedback system ---------------------------------------------------------------------

create table public.feedback_categories (
  id uuid primary key default extensions.uuid_generate_v4(),
  name varchar(50) not null unique,
  description text,
  sort_order integer not null default 0,
  created_at timestamptz not null default now()
);

create table public.feedback_tags (
  id uuid primary key default extensions.uuid_generate_v4(),
  name varchar(50) not null unique,
  color varchar(7) not null default '#888888',
  created_at timestamptz not null default now()
);

-- user_id is null for feedback sent without an account.
create table public.feedback (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid references auth.users (id) on delete set null,
  category_id uuid references public.feedback_categories (id) on delete set null,
  message text not null default '',
  feedback_type varchar(50) not null default 'general'
    check (feedback_type in ('general', 'bug', 'feature', 'support')),
  priority varchar(20) not null default 'normal'
    check (priority in ('low', 'normal', 'high', 'urgent')),
  status varchar(20) not null default 'open'
    check (status in ('open', 'in_progress', 'resolved', 'closed')),
  contact_email varchar(255),
  contact_name varchar(100),
  user_agent text,
  browser_info jsonb,
  device_info jsonb,
  admin_response text,
  admin_user_id uuid references auth.users (id) on delete set null,
  responded_at timestamptz,
  rating integer check (rating is null or rating between 1 and 5),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.feedback_analytics (
  id uuid primary key default extensions.uuid_generate_v4(),
  day date not null unique,
  total_count integer not null default 0,
  open_count integer not null default 0,
  average_rating numeric(3, 2),
  average_response_hours numeric(10, 2),
  created_at timestamptz not null default now()
);

create table public.system_config (
  key varchar(100) primary key,
  value jsonb not null default 'null'::jsonb,
  description text,
  is_public boolean not null default false,
  updated_at timestamptz not null default now()
);

-- triggers -------------------------------------------------------------------------------

create trigger user_profiles_updated_at before update on public.user_profiles
  for each row execute function public.update_updated_at_column();
create trigger user_preferences_updated_at before update on public.user_preferences
  for each row execute function public.update_updated_at_column();
create trigger api_providers_updated_at before update on public.api_providers
  for each row execute function public.update_updated_at_column();
create trigger api_configurations_updated_at before update on public.api_configurations
  for each row execute function public.update_updated_at_column();
create trigger prompt_frameworks_updated_at before update on public.prompt_frameworks
  for each row execute function public.update_updated_at_column();
create trigger prompt_history_updated_at before update on public.prompt_history
  for each row execute function public.update_updated_at_column();
create trigger prompt_templates_updated_at before update on public.prompt_templates
  for each row execute function public.update_updated_at_column();
create trigger feedback_updated_at before update on public.feedback
  for each row execute function public.update_updated_at_column();
create trigger system_config_updated_at before update on public.system_config
  for each row execute function public.update_updated_at_column();

create function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.user_profiles (user_id, display_name)
  values (new.id, coalesce(new.raw_user_meta_data ->> 'display_name', split_part(new.email, '@', 1)))
  on conflict (user_id) do nothing;
  insert into public.user_preferences (user_id) values (new.id) on conflict (user_id) do nothing;
  return new;
end;
$$;
revoke execute on function public.handle_new_user() from public;
revoke execute on function public.handle_new_user() from anon;
revoke execute on function public.handle_new_user() from authenticated;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();

-- 06 indexes and performance -------------------------------------------------------------

create index user_sessions_user_id_idx on public.user_sessions (user_id, started_at desc);
create index api_configurations_user_id_idx on public.api_configurations (user_id);
create unique index api_configurations_active_provider_idx
  on public.api_configurations (user_id, provider) where is_active;
create index api_usage_logs_user_id_created_at_idx on public.api_usage_logs (user_id, created_at desc);
create index api_usage_logs_created_at_idx on public.api_usage_logs (created_at);
create index prompt_history_user_id_created_at_idx on public.prompt_history (user_id, created_at desc);
create index prompt_templates_user_id_idx on public.prompt_templates (user_id);
create index prompt_templates_public_idx on public.prompt_templates (created_at desc)
  where is_public and is_active;
create index prompt_templates_search_idx on public.prompt_templates
  using gin (to_tsvector('english', coalesce(name, '') || ' ' || coalesce(description, '')));
create index feedback_user_id_idx on public.feedback (user_id);
create index feedback_status_idx on public.feedback (status, created_at desc)
  where status in ('open', 'in_progress');
create index feedback_category_id_idx on public.feedback (category_id);
create index feedback_admin_user_id_idx on public.feedback (admin_user_id);

-- Analytics. Materialized views have no row level security: they are refreshed by the
-- service role and never granted to the API roles.
create materialized view public.daily_api_usage as
select
  date_trunc('day', created_at)::date as day,
  provider,
  count(*) as requests,
  count(*) filter (where status_code >= 400) as errors,
  avg(response_time_ms)::integer as avg_response_time_ms
from public.api_usage_logs
group by 1, 2;
create unique index daily_api_usage_day_provider_idx on public.daily_api_usage (day, provider);

create materialized view public.framework_popularity as
select f.name as framework_id, count(h.id) as uses, count(distinct h.user_id) as users,
  avg(h.processing_time_ms)::integer as avg_processing_time_ms
from public.prompt_frameworks f
left join public.prompt_history h on h.framework_id = f.name
group by f.name;
create unique index framework_popularity_framework_id_idx
  on public.framework_popularity (framework_id);

revoke all on public.daily_api_usage from anon;
revoke all on public.daily_api_usage from authenticated;
revoke all on public.framework_popularity from anon;
revoke all on public.framework_popularity from authenticated;
revoke all on public.daily_api_usage from service_role;
revoke all on public.framework_popularity from service_role;
grant select on public.daily_api_usage to service_role;
grant select on public.framework_popularity to service_role;

-- Maintenance, run by the service role from a scheduled edge function.
create function public.refresh_analytics()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  refresh materialized view concurrently public.daily_api_usage;
  refresh materialized view concurrently public.framework_popularity;
  insert into public.feedback_analytics (day, total_count, open_count, average_rating)
  select current_date, count(*), count(*) filter (where status = 'open'), avg(rating)
  from public.feedback
  on conflict (day) do update
    set total_count = excluded.total_count,
        open_count = excluded.open_count,
        average_rating = excluded.average_rating;
end;
$$;

create function public.cleanup_old_records()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  removed integer;
begin
  delete from public.prompt_history h
  using public.user_preferences p
  where p.user_id = h.user_id
    and p.auto_cleanup
    and h.created_at < now() - make_interval(days => p.max_history_days);
  get diagnostics removed = row_count;
  delete from public.api_usage_logs where created_at < now() - interval '180 days';
  delete from public.user_sessions where last_seen_at < now() - interval '30 days';
  return removed;
end;
$$;

revoke execute on function public.refresh_analytics() from public;
revoke execute on function public.refresh_analytics() from anon;
revoke execute on function public.refresh_analytics() from authenticated;
revoke execute on function public.cleanup_old_records() from public;
revoke execute on function public.cleanup_old_records() from anon;
revoke execute on function public.cleanup_old_records() from authenticated;

-- 07 security and RLS --------------------------------------------------------------------

alter table public.user_profiles enable row level security;
alter table public.user_preferences enable row level security;
alter table public.user_sessions enable row level security;
alter table public.api_providers enable row level security;
alter table public.api_configurations enable row level security;
alter table public.api_usage_logs enable row level security;
alter table public.prompt_frameworks enable row level security;
alter table public.prompt_history enable row level security;
alter table public.prompt_templates enable row level security;
alter table public.feedback_categories enable row level security;
alter table public.feedback_tags enable row level security;
alter table public.feedback enable row level security;
alter table public.feedback_analytics enable row level security;
alter table public.system_config enable row level security;

-- user_profiles: own; admins read all for support.
create policy "Users can view own profile; admins all" on public.user_profiles
  for select to authenticated
  using ((select auth.uid()) = user_id or (select public.is_admin()));
create policy "Users can update own profile" on public.user_profiles
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

create policy "Users can view own preferences" on public.user_preferences
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Users can update own preferences" on public.user_preferences
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

create policy "Users manage own sessions" on public.user_sessions
  for all to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- api_providers and prompt_frameworks: public catalogues, maintained by admins.
create policy "Providers are public" on public.api_providers
  for select to anon, authenticated using (true);
create policy "Admins manage providers" on public.api_providers
  for insert to authenticated with check ((select public.is_admin()));
create policy "Admins update providers" on public.api_providers
  for update to authenticated
  using ((select public.is_admin())) with check ((select public.is_admin()));
create policy "Admins delete providers" on public.api_providers
  for delete to authenticated using ((select public.is_admin()));

create policy "Frameworks are public" on public.prompt_frameworks
  for select to anon, authenticated using (true);
create policy "Admins manage frameworks" on public.prompt_frameworks
  for insert to authenticated with check ((select public.is_admin()));
create policy "Admins update frameworks" on public.prompt_frameworks
  for update to authenticated
  using ((select public.is_admin())) with check ((select public.is_admin()));
create policy "Admins delete frameworks" on public.prompt_frameworks
  for delete to authenticated using ((select public.is_admin()));

-- api_configurations: the owner only; not even admins read encrypted keys.
create policy "Owners manage their api configurations" on public.api_configurations
  for all to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- api_usage_logs: written by the system (service role); users read their own, admins all.
create policy "Users can view own usage; admins all" on public.api_usage_logs
  for select to authenticated
  using ((select auth.uid()) = user_id or (select public.is_admin()));

create policy "Users manage own prompt history" on public.prompt_history
  for all to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);

-- prompt_templates: visible to everyone when public; otherwise the owner's.
create policy "Published templates are visible to all, others to their owner"
  on public.prompt_templates
  for select to anon, authenticated
  using ((is_public and is_active) or (select auth.uid()) = user_id);
create policy "Owners can create templates" on public.prompt_templates
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Owners can update their templates" on public.prompt_templates
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "Owners can delete their templates" on public.prompt_templates
  for delete to authenticated using ((select auth.uid()) = user_id);

-- feedback: anyone may submit (anonymously: no user_id); users read their own; admins
-- read, answer and remove all of it.
create policy "Anyone can submit feedback, anonymously or as themselves" on public.feedback
  for insert to anon, authenticated
  with check (user_id is null or (select auth.uid()) = user_id);
create policy "Users can view own feedback; admins all" on public.feedback
  for select to authenticated
  using ((select auth.uid()) = user_id or (select public.is_admin()));
create policy "Admins respond to feedback" on public.feedback
  for update to authenticated
  using ((select public.is_admin())) with check ((select public.is_admin()));
create policy "Admins delete feedback" on public.feedback
  for delete to authenticated using ((select public.is_admin()));

create policy "Feedback categories are public" on public.feedback_categories
  for select to anon, authenticated using (true);
create policy "Admins add feedback categories" on public.feedback_categories
  for insert to authenticated with check ((select public.is_admin()));
create policy "Admins change feedback categories" on public.feedback_categories
  for update to authenticated
  using ((select public.is_admin())) with check ((select public.is_admin()));
create policy "Admins remove feedback categories" on public.feedback_categories
  for delete to authenticated using ((select public.is_admin()));

create policy "Feedback tags are visible to users" on public.feedback_tags
  for select to authenticated using (true);
create policy "Admins add feedback tags" on public.feedback_tags
  for insert to authenticated with check ((select public.is_admin()));
create policy "Admins change feedback tags" on public.feedback_tags
  for update to authenticated
  using ((select public.is_admin())) with check ((select public.is_admin()));
create policy "Admins remove feedback tags" on public.feedback_tags
  for delete to authenticated using ((select public.is_admin()));

create policy "Admins view feedback analytics" on public.feedback_analytics
  for select to authenticated using ((select public.is_admin()));

-- system_config: public keys are readable by everyone; admins read and change all.
create policy "Public settings are readable, all of them by admins" on public.system_config
  for select to anon, authenticated using (is_public or (select public.is_admin()));
create policy "Admins add settings" on public.system_config
  for insert to authenticated with check ((select public.is_admin()));
create policy "Admins change settings" on public.system_config
  for update to authenticated
  using ((select public.is_admin())) with check ((select public.is_admin()));
create policy "Admins remove settings" on public.system_config
  for delete to authenticated using ((select public.is_admin()));
