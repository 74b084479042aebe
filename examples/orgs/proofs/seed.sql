-- Ground truth without rlsgate's probe engine: users, two accounts with rows, and
-- pg_temp.probe(who, statement, setup), which runs one statement as PostgREST would for that user
-- (set_config('role', ...) and set_config('request.jwt.claims', ...), both local) inside a
-- subtransaction that is always rolled back, and says what happened.
-- Included by every proof, inside its transaction; the proofs end with rollback.
--
--   account  members                                   rows
--   acme     admin (owner), alice, carol (members)     project A, tasks of alice and carol,
--                                                      documents of alice and carol,
--                                                      an invitation, a billing customer
--   globex   grace (owner), bob (member)               project B, a task and a document of
--                                                      bob, an invitation, a billing customer
--
-- Row ids end in a (acme) or b (globex) before their last digits:
--   accounts 0a0001 / 0b0001, projects 0a0002 / 0b0002, tasks 0a0003 (alice) 0a0004 (carol)
--   0b0003 (bob), documents 0a0005 (alice) 0a0006 (carol) 0b0005 (bob), invitations 0a0007 /
--   0b0007.

create temp table people (name text primary key, id uuid not null, user_metadata jsonb not null default '{}');
insert into people (name, id) values
  ('alice', 'a11ce000-0000-4000-8000-000000000000'),
  ('carol', 'ca201000-0000-4000-8000-000000000000'),
  ('admin', 'ad000000-0000-4000-8000-000000000000'),
  ('bob', 'b0b00000-0000-4000-8000-000000000000'),
  ('grace', '96ace000-0000-4000-8000-000000000000');

-- Users are created the way Supabase Auth creates them: as supabase_auth_admin.
grant select on pg_temp.people to supabase_auth_admin;
set local role supabase_auth_admin;
insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at)
select id, 'authenticated', 'authenticated', name || '@example.test',
  '{"provider": "email", "providers": ["email"]}', '{}', now()
from pg_temp.people;
reset role;

insert into public.accounts (id, primary_owner_user_id, name, slug) values
  ('00000000-0000-4000-8000-0000000a0001', 'ad000000-0000-4000-8000-000000000000', 'Acme', 'acme'),
  ('00000000-0000-4000-8000-0000000b0001', '96ace000-0000-4000-8000-000000000000', 'Globex', 'globex');
insert into public.account_user (account_id, user_id, account_role) values
  ('00000000-0000-4000-8000-0000000a0001', 'ad000000-0000-4000-8000-000000000000', 'owner'),
  ('00000000-0000-4000-8000-0000000a0001', 'a11ce000-0000-4000-8000-000000000000', 'member'),
  ('00000000-0000-4000-8000-0000000a0001', 'ca201000-0000-4000-8000-000000000000', 'member'),
  ('00000000-0000-4000-8000-0000000b0001', '96ace000-0000-4000-8000-000000000000', 'owner'),
  ('00000000-0000-4000-8000-0000000b0001', 'b0b00000-0000-4000-8000-000000000000', 'member');
insert into public.projects (id, account_id, name) values
  ('00000000-0000-4000-8000-0000000a0002', '00000000-0000-4000-8000-0000000a0001', 'Acme launch'),
  ('00000000-0000-4000-8000-0000000b0002', '00000000-0000-4000-8000-0000000b0001', 'Globex merger');
insert into public.tasks (id, project_id, title, created_by, assignee_id) values
  ('00000000-0000-4000-8000-0000000a0003', '00000000-0000-4000-8000-0000000a0002', 'Write the plan',
   'a11ce000-0000-4000-8000-000000000000', 'ca201000-0000-4000-8000-000000000000'),
  ('00000000-0000-4000-8000-0000000a0004', '00000000-0000-4000-8000-0000000a0002', 'Book the venue',
   'ca201000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000'),
  ('00000000-0000-4000-8000-0000000b0003', '00000000-0000-4000-8000-0000000b0002', 'Due diligence',
   'b0b00000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000');
insert into public.documents (id, account_id, title, created_by) values
  ('00000000-0000-4000-8000-0000000a0005', '00000000-0000-4000-8000-0000000a0001', 'Acme plan',
   'a11ce000-0000-4000-8000-000000000000'),
  ('00000000-0000-4000-8000-0000000a0006', '00000000-0000-4000-8000-0000000a0001', 'Acme budget',
   'ca201000-0000-4000-8000-000000000000'),
  ('00000000-0000-4000-8000-0000000b0005', '00000000-0000-4000-8000-0000000b0001', 'Globex term sheet',
   'b0b00000-0000-4000-8000-000000000000');
insert into public.invitations (id, account_id, invited_by) values
  ('00000000-0000-4000-8000-0000000a0007', '00000000-0000-4000-8000-0000000a0001',
   'ad000000-0000-4000-8000-000000000000'),
  ('00000000-0000-4000-8000-0000000b0007', '00000000-0000-4000-8000-0000000b0001',
   '96ace000-0000-4000-8000-000000000000');
insert into public.billing_customers (account_id, customer_id, email) values
  ('00000000-0000-4000-8000-0000000a0001', 'cus_acme', 'billing@acme.test'),
  ('00000000-0000-4000-8000-0000000b0001', 'cus_globex', 'billing@globex.test');

-- 'sees N' for a query, 'changed N' for a write, or why the statement was refused. `setup`,
-- when given, runs first as the same person in the same subtransaction.
create function pg_temp.probe(who text, statement text, setup text default null)
returns text
language plpgsql
as $$
declare
  person pg_temp.people := (select p from pg_temp.people p where p.name = who);
  n bigint;
begin
  if who <> 'anon' and person is null then
    raise exception 'unknown person %', who;
  end if;
  begin
    if who = 'anon' then
      perform set_config('role', 'anon', true);
      perform set_config('request.jwt.claims', '{"role": "anon"}', true);
    else
      perform set_config('role', 'authenticated', true);
      perform set_config('request.jwt.claims', json_build_object(
        'sub', person.id, 'role', 'authenticated', 'aud', 'authenticated',
        'email', who || '@example.test', 'app_metadata', json_build_object('provider', 'email'),
        'user_metadata', person.user_metadata, 'is_anonymous', false)::text, true);
    end if;
    if setup is not null then
      execute setup;
    end if;
    if statement ~* '^\s*select' then
      execute format('select count(*) from (%s) s', statement) into n;
      raise sqlstate 'PRB01' using message = 'sees ' || n;
    end if;
    execute statement;
    get diagnostics n = row_count;
    raise sqlstate 'PRB01' using message = 'changed ' || n;
  exception
    when sqlstate 'PRB01' then return sqlerrm;
    when insufficient_privilege then return 'refused: ' || sqlerrm;
    when others then return 'error ' || sqlstate || ': ' || sqlerrm;
  end;
end;
$$;

-- The statements a proof runs, in order; each proof fills it.
create temp table checks (
  n int generated always as identity,
  who text not null,
  what text not null,
  setup text,
  statement text not null
);
