-- 08 initial data: provider and framework catalogues, feedback categories, system settings.
insert into public.api_providers (name, display_name, base_url, api_key_pattern, supported_models)
values
  ('openai', 'OpenAI', 'https://api.openai.com/v1', '^sk-', '["gpt-4o", "gpt-4o-mini"]'),
  ('anthropic', 'Anthropic', 'https://api.anthropic.com/v1', '^sk-ant-',
    '["claude-3-5-sonnet", "claude-3-5-haiku"]')
on conflict (name) do nothing;

insert into public.prompt_frameworks (name, display_name, description, components, template, sort_order)
values
  ('costar', 'CO-STAR', 'Context, Objective, Style, Tone, Audience, Response',
    '["context", "objective", "style", "tone", "audience", "response"]',
    '# Context\n{context}\n# Objective\n{objective}', 1),
  ('rtf', 'RTF', 'Role, Task, Format', '["role", "task", "format"]',
    'Act as {role}. {task}. Answer as {format}.', 2)
on conflict (name) do nothing;

insert into public.feedback_categories (name, description, sort_order)
values ('bug', 'Something is broken', 1), ('idea', 'A suggestion', 2), ('question', 'Help wanted', 3)
on conflict (name) do nothing;

insert into public.system_config (key, value, description, is_public)
values
  ('maintenance_mode', 'false', 'Show the maintenance banner', true),
  ('max_prompt_length', '8000', 'Longest accepted user input, in characters', true),
  ('rate_limit_per_minute', '20', 'Prompt generations per user per minute', false)
on conflict (key) do nothing;

-- Analytics start from the seeded catalogue (one row per framework).
refresh materialized view public.framework_popularity;
refresh materialized view public.daily_api_usage;
