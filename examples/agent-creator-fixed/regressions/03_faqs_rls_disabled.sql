-- expect-fail: table=public.knowledge_base_faqs identity=anon command=select
-- RLS is disabled on FAQs "because they are shown in the public widget anyway".
alter table public.knowledge_base_faqs disable row level security;
