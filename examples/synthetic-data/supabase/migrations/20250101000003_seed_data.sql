-- Placeholder secret rows (the real values are set from the dashboard) and performance indexes.
insert into public.api_secrets (key_name, key_value)
values ('OPENAI_API_KEY', 'replace-me')
on conflict (key_name) do nothing;

create index projects_user_id_idx on public.projects (user_id, updated_at desc);
create index table_metadata_project_id_idx on public.table_metadata (project_id);
create index column_metadata_table_id_idx on public.column_metadata (table_id, ordinal);
create index relationships_project_id_idx on public.relationships (project_id);
create index relationships_source_table_id_idx on public.relationships (source_table_id);
create index relationships_target_table_id_idx on public.relationships (target_table_id);
create index llm_conversations_user_id_idx on public.llm_conversations (user_id, created_at desc);
create index llm_conversations_project_id_idx on public.llm_conversations (project_id);
create index synthetic_data_generations_user_id_idx
  on public.synthetic_data_generations (user_id, created_at desc);
create index synthetic_data_generations_project_id_idx
  on public.synthetic_data_generations (project_id);

create index projects_search_idx on public.projects
  using gin (to_tsvector('english', coalesce(name, '') || ' ' || coalesce(description, '')));
create index table_metadata_search_idx on public.table_metadata
  using gin (to_tsvector('english', coalesce(name, '') || ' ' || coalesce(description, '')));
