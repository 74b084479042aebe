-- The fixed project: what each person really reads and changes.
-- Run against `rlsgate --project examples/orgs db`: psql "$URI" -X -f examples/orgs/proofs/fixed.sql
\set ON_ERROR_STOP on
\set QUIET on
begin;
\ir seed.sql

insert into checks (who, what, statement) values
  -- accounts: members and the primary owner see an account; owners rename it.
  ('alice', 'accounts she sees', $$select * from public.accounts$$),
  ('alice', 'globex account', $$select * from public.accounts where slug = 'globex'$$),
  ('alice', 'renames acme (member)', $$update public.accounts set name = 'x' where slug = 'acme'$$),
  ('admin', 'renames acme (owner)', $$update public.accounts set name = 'x' where slug = 'acme'$$),
  ('admin', 'renames globex', $$update public.accounts set name = 'x' where slug = 'globex'$$),
  ('admin', 'hands acme to bob', $$update public.accounts set primary_owner_user_id = 'b0b00000-0000-4000-8000-000000000000' where slug = 'acme'$$),
  ('alice', 'creates an account she owns', $$insert into public.accounts (name, slug) values ('Alice Co', 'alice-co')$$),
  ('alice', 'creates an account owned by bob', $$insert into public.accounts (name, slug, primary_owner_user_id) values ('Bob Co', 'bob-co', 'b0b00000-0000-4000-8000-000000000000')$$),
  ('alice', 'deletes acme', $$delete from public.accounts where slug = 'acme'$$),
  -- account_user
  ('alice', 'memberships she sees', $$select * from public.account_user$$),
  ('alice', 'globex memberships', $$select * from public.account_user where account_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('alice', 'joins globex', $$insert into public.account_user (account_id, user_id) values ('00000000-0000-4000-8000-0000000b0001', 'a11ce000-0000-4000-8000-000000000000')$$),
  ('alice', 'makes herself owner', $$update public.account_user set account_role = 'owner' where user_id = 'a11ce000-0000-4000-8000-000000000000'$$),
  ('alice', 'moves her membership to globex', $$update public.account_user set account_id = '00000000-0000-4000-8000-0000000b0001' where user_id = 'a11ce000-0000-4000-8000-000000000000'$$),
  ('admin', 'makes carol owner', $$update public.account_user set account_role = 'owner' where user_id = 'ca201000-0000-4000-8000-000000000000'$$),
  ('admin', 'makes bob owner of globex', $$update public.account_user set account_role = 'owner' where user_id = 'b0b00000-0000-4000-8000-000000000000'$$),
  ('alice', 'leaves acme', $$delete from public.account_user where user_id = 'a11ce000-0000-4000-8000-000000000000'$$),
  ('alice', 'removes carol', $$delete from public.account_user where user_id = 'ca201000-0000-4000-8000-000000000000'$$),
  ('admin', 'removes carol', $$delete from public.account_user where user_id = 'ca201000-0000-4000-8000-000000000000'$$),
  ('admin', 'removes bob from globex', $$delete from public.account_user where user_id = 'b0b00000-0000-4000-8000-000000000000'$$),
  -- invitations and billing: owners only
  ('alice', 'invitations she sees', $$select * from public.invitations$$),
  ('admin', 'invitations he sees', $$select * from public.invitations$$),
  ('alice', 'invites to acme (member)', $$insert into public.invitations (account_id) values ('00000000-0000-4000-8000-0000000a0001')$$),
  ('admin', 'invites to acme', $$insert into public.invitations (account_id) values ('00000000-0000-4000-8000-0000000a0001')$$),
  ('admin', 'invites to globex', $$insert into public.invitations (account_id) values ('00000000-0000-4000-8000-0000000b0001')$$),
  ('admin', 'withdraws every invitation', $$delete from public.invitations$$),
  ('alice', 'billing she sees', $$select * from public.billing_customers$$),
  ('admin', 'billing he sees', $$select * from public.billing_customers$$),
  ('admin', 'edits acme billing', $$update public.billing_customers set email = 'x@x.test'$$),
  -- projects
  ('alice', 'projects she sees', $$select * from public.projects$$),
  ('bob', 'projects he sees', $$select * from public.projects$$),
  ('alice', 'creates a project in acme', $$insert into public.projects (account_id, name) values ('00000000-0000-4000-8000-0000000a0001', 'p')$$),
  ('alice', 'creates a project in globex', $$insert into public.projects (account_id, name) values ('00000000-0000-4000-8000-0000000b0001', 'p')$$),
  ('alice', 'renames every project', $$update public.projects set name = 'x'$$),
  ('alice', 'moves project A to globex', $$update public.projects set account_id = '00000000-0000-4000-8000-0000000b0001' where id = '00000000-0000-4000-8000-0000000a0002'$$),
  ('alice', 'moves every project to globex (no filter)', $$update public.projects set account_id = '00000000-0000-4000-8000-0000000b0001'$$),
  ('alice', 'deletes every project (member)', $$delete from public.projects$$),
  ('admin', 'deletes every project (owner)', $$delete from public.projects$$),
  -- tasks, two hops from the account
  ('alice', 'tasks she sees', $$select * from public.tasks$$),
  ('alice', 'creates a task in project A', $$insert into public.tasks (project_id, title) values ('00000000-0000-4000-8000-0000000a0002', 't')$$),
  ('alice', 'creates a task in project B', $$insert into public.tasks (project_id, title) values ('00000000-0000-4000-8000-0000000b0002', 't')$$),
  ('alice', 'edits every task', $$update public.tasks set status = 'done'$$),
  ('alice', 'moves her task to project B', $$update public.tasks set project_id = '00000000-0000-4000-8000-0000000b0002' where id = '00000000-0000-4000-8000-0000000a0003'$$),
  ('alice', 'deletes every task', $$delete from public.tasks$$),
  ('alice', 'deletes carol''s task', $$delete from public.tasks where id = '00000000-0000-4000-8000-0000000a0004'$$),
  ('admin', 'deletes every task', $$delete from public.tasks$$),
  -- documents, inline EXISTS on account_user
  ('alice', 'documents she sees', $$select * from public.documents$$),
  ('bob', 'documents he sees', $$select * from public.documents$$),
  ('alice', 'writes a document in acme', $$insert into public.documents (account_id, title) values ('00000000-0000-4000-8000-0000000a0001', 'd')$$),
  ('alice', 'writes one as carol', $$insert into public.documents (account_id, title, created_by) values ('00000000-0000-4000-8000-0000000a0001', 'd', 'ca201000-0000-4000-8000-000000000000')$$),
  ('alice', 'writes a document in globex', $$insert into public.documents (account_id, title) values ('00000000-0000-4000-8000-0000000b0001', 'd')$$),
  ('alice', 'edits every document', $$update public.documents set body = 'x'$$),
  ('alice', 'hands her document to carol', $$update public.documents set created_by = 'ca201000-0000-4000-8000-000000000000' where id = '00000000-0000-4000-8000-0000000a0005'$$),
  ('admin', 'edits every document', $$update public.documents set body = 'x'$$),
  ('alice', 'deletes every document', $$delete from public.documents$$),
  ('admin', 'deletes every document', $$delete from public.documents$$),
  -- the view
  ('alice', 'project_overview rows', $$select * from public.project_overview$$),
  ('bob', 'project_overview rows', $$select * from public.project_overview$$),
  ('alice', 'writes through project_overview', $$update public.project_overview set name = 'x'$$),
  -- visitors
  ('anon', 'accounts', $$select * from public.accounts$$),
  ('anon', 'documents', $$select * from public.documents$$),
  ('anon', 'project_overview', $$select * from public.project_overview$$),
  ('anon', 'creates a project', $$insert into public.projects (account_id, name) values ('00000000-0000-4000-8000-0000000a0001', 'p')$$);

\unset QUIET
select who, what, pg_temp.probe(who, statement, setup) as result from checks order by n;
rollback;
