-- RLS on every table. Metadata is reached through the project it belongs to.
alter table public.profiles enable row level security;
alter table public.projects enable row level security;
alter table public.table_metadata enable row level security;
alter table public.column_metadata enable row level security;
alter table public.relationships enable row level security;
alter table public.api_secrets enable row level security;
alter table public.llm_conversations enable row level security;
alter table public.synthetic_data_generations enable row level security;

-- profiles: public read, user-specific write.
create policy "Profiles are viewable by everyone" on public.profiles
  for select to anon, authenticated using (true);
create policy "Users can insert their own profile" on public.profiles
  for insert to authenticated with check ((select auth.uid()) = id);
create policy "Users can update their own profile" on public.profiles
  for update to authenticated
  using ((select auth.uid()) = id) with check ((select auth.uid()) = id);

-- projects: owner only.
create policy "Users can view their own projects" on public.projects
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Users can create their own projects" on public.projects
  for insert to authenticated with check ((select auth.uid()) = user_id);
create policy "Users can update their own projects" on public.projects
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "Users can delete their own projects" on public.projects
  for delete to authenticated using ((select auth.uid()) = user_id);

-- table_metadata: scoped through project ownership.
create policy "Users can manage tables of their projects" on public.table_metadata
  for all to authenticated
  using (exists (
    select 1 from public.projects p
    where p.id = table_metadata.project_id and p.user_id = (select auth.uid())
  ))
  with check (exists (
    select 1 from public.projects p
    where p.id = table_metadata.project_id and p.user_id = (select auth.uid())
  ));

-- column_metadata: scoped through the table's project.
create policy "Users can manage columns of their projects" on public.column_metadata
  for all to authenticated
  using (exists (
    select 1 from public.table_metadata t
    join public.projects p on p.id = t.project_id
    where t.id = column_metadata.table_id and p.user_id = (select auth.uid())
  ))
  with check (exists (
    select 1 from public.table_metadata t
    join public.projects p on p.id = t.project_id
    where t.id = column_metadata.table_id and p.user_id = (select auth.uid())
  ));

-- relationships: scoped through project ownership.
create policy "Users can manage relationships of their projects" on public.relationships
  for all to authenticated
  using (exists (
    select 1 from public.projects p
    where p.id = relationships.project_id and p.user_id = (select auth.uid())
  ))
  with check (exists (
    select 1 from public.projects p
    where p.id = relationships.project_id and p.user_id = (select auth.uid())
  ));

-- api_secrets: service role only. service_role bypasses RLS anyway; the policy documents it.
create policy "Service role manages secrets" on public.api_secrets
  for all to service_role using (true) with check (true);

-- llm_conversations: the user's own, optionally attached to one of their projects.
create policy "Users can view their own conversations" on public.llm_conversations
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Users can create conversations in their projects" on public.llm_conversations
  for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and (project_id is null or exists (
      select 1 from public.projects p
      where p.id = llm_conversations.project_id and p.user_id = (select auth.uid())
    ))
  );
create policy "Users can update their own conversations" on public.llm_conversations
  for update to authenticated
  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);
create policy "Users can delete their own conversations" on public.llm_conversations
  for delete to authenticated using ((select auth.uid()) = user_id);

-- synthetic_data_generations: users request and read their jobs; the worker (service role)
-- updates status and results.
create policy "Users can view their own generations" on public.synthetic_data_generations
  for select to authenticated using ((select auth.uid()) = user_id);
create policy "Users can request generations for their projects"
  on public.synthetic_data_generations
  for insert to authenticated
  with check (
    (select auth.uid()) = user_id
    and exists (
      select 1 from public.projects p
      where p.id = synthetic_data_generations.project_id and p.user_id = (select auth.uid())
    )
  );
create policy "Users can delete their own generations" on public.synthetic_data_generations
  for delete to authenticated using ((select auth.uid()) = user_id);
