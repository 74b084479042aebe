-- expect-fail: table=public.documents identity=anon command=select
-- expect-fail: table=public.documents identity=alice command=select
-- expect-fail: table=public.documents identity=alice command=insert
-- expect-fail: table=public.documents identity=bob command=delete
-- documents is rebuilt to add a search column: a copy with LIKE ... INCLUDING ALL, the rows
-- moved over, the old table dropped and the copy renamed. LIKE copies columns, defaults,
-- constraints and indexes, not row level security, policies or grants: the new table has RLS
-- off and Supabase's default grants, anon included.
-- proof (proofs/05_documents_recreated_without_rls.sql): anon, alice and bob each read all 3
-- documents; alice writes one into globex; bob deletes all 3 (before: anon refused,
-- alice 2, alice's globex insert refused, bob deletes 1, his own).
create table public.documents_v2 (like public.documents including all);
alter table public.documents_v2
  add column search tsvector generated always as (to_tsvector('simple', title || ' ' || body)) stored;
insert into public.documents_v2 (id, account_id, title, body, created_by, created_at, updated_at)
select id, account_id, title, body, created_by, created_at, updated_at from public.documents;
drop table public.documents;
alter table public.documents_v2 rename to documents;
alter table public.documents
  add foreign key (account_id) references public.accounts (id) on delete cascade;
create trigger documents_set_timestamps before insert or update on public.documents
  for each row execute function basejump.trigger_set_timestamps();
