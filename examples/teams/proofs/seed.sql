-- Ground truth without rlsgate's probe engine: users, two teams with a row in every
-- team-scoped table, and pg_temp.probe(who, statement, setup), which runs one statement as
-- PostgREST would for that user (set_config('role', ...) and set_config('request.jwt.claims',
-- ...), both local) inside a subtransaction that is always rolled back, and says what happened.
-- Included by every proof, inside its transaction; the proofs end with rollback.
--
--   team    members                                     rows
--   acme    admin (owner), alice, carol (members)       one of each team-scoped table
--   globex  grace (owner), bob (member)                 one of each team-scoped table
--
-- Row ids end in a (acme) or b (globex), then a number per table: 0001 teams,
-- 0002 bank_connections, 0003 bank_accounts, 0004 transaction_categories, 0005 transactions,
-- 0006 tags, 0007 customers, 0008 invoices, 0009 tracker_projects, 0010 tracker_entries,
-- 0011 inbox, 0012 documents, 0013 reports, 0014 user_invites.

create temp table people (name text primary key, id uuid not null, user_metadata jsonb not null default '{}');
insert into people (name, id) values
  ('alice', 'a11ce000-0000-4000-8000-000000000000'),
  ('carol', 'ca201000-0000-4000-8000-000000000000'),
  ('admin', 'ad000000-0000-4000-8000-000000000000'),
  ('bob', 'b0b00000-0000-4000-8000-000000000000'),
  ('grace', '96ace000-0000-4000-8000-000000000000');

-- Users are created the way Supabase Auth creates them: as supabase_auth_admin. The signup
-- trigger writes their public.users rows.
grant select on pg_temp.people to supabase_auth_admin;
set local role supabase_auth_admin;
insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at)
select id, 'authenticated', 'authenticated', name || '@example.test',
  '{"provider": "email", "providers": ["email"]}', jsonb_build_object('full_name', initcap(name)), now()
from pg_temp.people;
reset role;

insert into public.teams (id, name) values
  ('00000000-0000-4000-8000-0000000a0001', 'Acme'),
  ('00000000-0000-4000-8000-0000000b0001', 'Globex');
insert into public.users_on_team (team_id, user_id, role) values
  ('00000000-0000-4000-8000-0000000a0001', 'ad000000-0000-4000-8000-000000000000', 'owner'),
  ('00000000-0000-4000-8000-0000000a0001', 'a11ce000-0000-4000-8000-000000000000', 'member'),
  ('00000000-0000-4000-8000-0000000a0001', 'ca201000-0000-4000-8000-000000000000', 'member'),
  ('00000000-0000-4000-8000-0000000b0001', '96ace000-0000-4000-8000-000000000000', 'owner'),
  ('00000000-0000-4000-8000-0000000b0001', 'b0b00000-0000-4000-8000-000000000000', 'member');
update public.users set team_id = '00000000-0000-4000-8000-0000000a0001' where id in ('ad000000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', 'ca201000-0000-4000-8000-000000000000');
update public.users set team_id = '00000000-0000-4000-8000-0000000b0001' where id in ('96ace000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000');

insert into public.bank_connections (id, team_id, institution_id, name) values
  ('00000000-0000-4000-8000-0000000a0002', '00000000-0000-4000-8000-0000000a0001', 'BANK_ACME', 'Acme Bank');
insert into public.bank_accounts (id, team_id, bank_connection_id, account_id, name, currency, balance, created_by) values
  ('00000000-0000-4000-8000-0000000a0003', '00000000-0000-4000-8000-0000000a0001', '00000000-0000-4000-8000-0000000a0002', 'a-acc-1', 'Acme checking', 'USD', 1000, 'a11ce000-0000-4000-8000-000000000000');
insert into public.transaction_categories (id, team_id, name, slug) values
  ('00000000-0000-4000-8000-0000000a0004', '00000000-0000-4000-8000-0000000a0001', 'Travel', 'travel');
insert into public.transactions (id, team_id, bank_account_id, date, name, amount, currency, internal_id, category_slug, assigned_id) values
  ('00000000-0000-4000-8000-0000000a0005', '00000000-0000-4000-8000-0000000a0001', '00000000-0000-4000-8000-0000000a0003', '2024-06-01', 'Acme flight', -420, 'USD', 'a-tx-1', 'travel', 'ca201000-0000-4000-8000-000000000000');
insert into public.tags (id, team_id, name) values ('00000000-0000-4000-8000-0000000a0006', '00000000-0000-4000-8000-0000000a0001', 'q2');
insert into public.customers (id, team_id, name, email) values
  ('00000000-0000-4000-8000-0000000a0007', '00000000-0000-4000-8000-0000000a0001', 'Acme client', 'client@acme.test');
insert into public.invoices (id, team_id, customer_id, invoice_number, amount, currency, user_id) values
  ('00000000-0000-4000-8000-0000000a0008', '00000000-0000-4000-8000-0000000a0001', '00000000-0000-4000-8000-0000000a0007', 'INV-1', 1200, 'USD', 'a11ce000-0000-4000-8000-000000000000');
insert into public.tracker_projects (id, team_id, customer_id, name) values
  ('00000000-0000-4000-8000-0000000a0009', '00000000-0000-4000-8000-0000000a0001', '00000000-0000-4000-8000-0000000a0007', 'Acme website');
insert into public.tracker_entries (id, team_id, project_id, assigned_id, duration) values
  ('00000000-0000-4000-8000-0000000a0010', '00000000-0000-4000-8000-0000000a0001', '00000000-0000-4000-8000-0000000a0009', 'ca201000-0000-4000-8000-000000000000', 3600);
insert into public.inbox (id, team_id, file_name, reference_id) values
  ('00000000-0000-4000-8000-0000000a0011', '00000000-0000-4000-8000-0000000a0001', 'receipt.pdf', 'a-inbox-1');
insert into public.documents (id, team_id, name, owner_id) values
  ('00000000-0000-4000-8000-0000000a0012', '00000000-0000-4000-8000-0000000a0001', 'contract.pdf', 'a11ce000-0000-4000-8000-000000000000');
insert into public.reports (id, team_id, link_id, type, created_by) values
  ('00000000-0000-4000-8000-0000000a0013', '00000000-0000-4000-8000-0000000a0001', 'a-report-1', 'profit', 'a11ce000-0000-4000-8000-000000000000');
insert into public.user_invites (id, team_id, email, invited_by) values
  ('00000000-0000-4000-8000-0000000a0014', '00000000-0000-4000-8000-0000000a0001', 'new@acme.test', 'a11ce000-0000-4000-8000-000000000000');

insert into public.bank_connections (id, team_id, institution_id, name) values
  ('00000000-0000-4000-8000-0000000b0002', '00000000-0000-4000-8000-0000000b0001', 'BANK_GLOBEX', 'Globex Bank');
insert into public.bank_accounts (id, team_id, bank_connection_id, account_id, name, currency, balance, created_by) values
  ('00000000-0000-4000-8000-0000000b0003', '00000000-0000-4000-8000-0000000b0001', '00000000-0000-4000-8000-0000000b0002', 'b-acc-1', 'Globex checking', 'USD', 1000, 'b0b00000-0000-4000-8000-000000000000');
insert into public.transaction_categories (id, team_id, name, slug) values
  ('00000000-0000-4000-8000-0000000b0004', '00000000-0000-4000-8000-0000000b0001', 'Travel', 'travel');
insert into public.transactions (id, team_id, bank_account_id, date, name, amount, currency, internal_id, category_slug, assigned_id) values
  ('00000000-0000-4000-8000-0000000b0005', '00000000-0000-4000-8000-0000000b0001', '00000000-0000-4000-8000-0000000b0003', '2024-06-01', 'Globex flight', -420, 'USD', 'b-tx-1', 'travel', 'b0b00000-0000-4000-8000-000000000000');
insert into public.tags (id, team_id, name) values ('00000000-0000-4000-8000-0000000b0006', '00000000-0000-4000-8000-0000000b0001', 'q2');
insert into public.customers (id, team_id, name, email) values
  ('00000000-0000-4000-8000-0000000b0007', '00000000-0000-4000-8000-0000000b0001', 'Globex client', 'client@globex.test');
insert into public.invoices (id, team_id, customer_id, invoice_number, amount, currency, user_id) values
  ('00000000-0000-4000-8000-0000000b0008', '00000000-0000-4000-8000-0000000b0001', '00000000-0000-4000-8000-0000000b0007', 'INV-1', 1200, 'USD', 'b0b00000-0000-4000-8000-000000000000');
insert into public.tracker_projects (id, team_id, customer_id, name) values
  ('00000000-0000-4000-8000-0000000b0009', '00000000-0000-4000-8000-0000000b0001', '00000000-0000-4000-8000-0000000b0007', 'Globex website');
insert into public.tracker_entries (id, team_id, project_id, assigned_id, duration) values
  ('00000000-0000-4000-8000-0000000b0010', '00000000-0000-4000-8000-0000000b0001', '00000000-0000-4000-8000-0000000b0009', 'b0b00000-0000-4000-8000-000000000000', 3600);
insert into public.inbox (id, team_id, file_name, reference_id) values
  ('00000000-0000-4000-8000-0000000b0011', '00000000-0000-4000-8000-0000000b0001', 'receipt.pdf', 'b-inbox-1');
insert into public.documents (id, team_id, name, owner_id) values
  ('00000000-0000-4000-8000-0000000b0012', '00000000-0000-4000-8000-0000000b0001', 'contract.pdf', 'b0b00000-0000-4000-8000-000000000000');
insert into public.reports (id, team_id, link_id, type, created_by) values
  ('00000000-0000-4000-8000-0000000b0013', '00000000-0000-4000-8000-0000000b0001', 'b-report-1', 'profit', 'b0b00000-0000-4000-8000-000000000000');
insert into public.user_invites (id, team_id, email, invited_by) values
  ('00000000-0000-4000-8000-0000000b0014', '00000000-0000-4000-8000-0000000b0001', 'new@globex.test', 'b0b00000-0000-4000-8000-000000000000');

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
