-- Ground truth without rlsgate's probe engine: users, listings, bookings between them with
-- messages and reviews, and pg_temp.probe(who, statement, setup), which runs one statement as
-- PostgREST would for that user (set_config('role', ...) and set_config('request.jwt.claims',
-- ...), both local) inside a subtransaction that is always rolled back, and says what happened.
-- Included by every proof, inside its transaction; the proofs end with rollback.
--
--   listings   1..a alice's, 1..b bob's, 1..d dave's              (ids 10000000-...-00000000000x)
--   bookings   1: alice hosts bob (confirmed)                     (ids 20000000-...-00000000000n)
--              2: bob hosts carol (confirmed)
--              3: dave hosts alice (requested)
--   messages   1: bob to alice, 2: alice to bob (booking 1); 3: carol to bob (2); 4: alice to
--              dave (3)                                           (ids 30000000-...)
--   reviews    1: bob about alice, 2: alice about bob (booking 1); 3: carol about bob (2)
--                                                                 (ids 40000000-...)
--   So alice is a party of bookings 1 (host) and 3 (guest), not of 2.

create temp table people (name text primary key, id uuid not null, user_metadata jsonb not null default '{}');
insert into people (name, id) values
  ('alice', 'a11ce000-0000-4000-8000-000000000000'),
  ('bob', 'b0b00000-0000-4000-8000-000000000000'),
  ('carol', 'ca201000-0000-4000-8000-000000000000'),
  ('dave', 'da5e0000-0000-4000-8000-000000000000');

-- Users are created the way Supabase Auth creates them: as supabase_auth_admin. The signup
-- trigger writes their profiles.
grant select on pg_temp.people to supabase_auth_admin;
set local role supabase_auth_admin;
insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at)
select id, 'authenticated', 'authenticated', name || '@example.test',
  '{"provider": "email", "providers": ["email"]}', jsonb_build_object('name', initcap(name)), now()
from pg_temp.people;
reset role;

insert into public.listings (id, host_id, title, city, nightly_price) values
  ('10000000-0000-4000-8000-00000000000a', 'a11ce000-0000-4000-8000-000000000000', 'Loft by the canal', 'Amsterdam', 120),
  ('10000000-0000-4000-8000-00000000000b', 'b0b00000-0000-4000-8000-000000000000', 'Cabin in the woods', 'Bergen', 90),
  ('10000000-0000-4000-8000-00000000000d', 'da5e0000-0000-4000-8000-000000000000', 'Flat near the dunes', 'Den Haag', 80);
insert into public.bookings (id, listing_id, host_id, guest_id, check_in, check_out, status, total_price) values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-00000000000a', 'a11ce000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000', '2024-09-01', '2024-09-04', 'confirmed', 360),
  ('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-00000000000b', 'b0b00000-0000-4000-8000-000000000000', 'ca201000-0000-4000-8000-000000000000', '2024-09-10', '2024-09-12', 'confirmed', 180),
  ('20000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-00000000000d', 'da5e0000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', '2024-10-01', '2024-10-02', 'requested', 80);
insert into public.messages (id, booking_id, sender_id, body) values
  ('30000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', 'b0b00000-0000-4000-8000-000000000000', 'Is parking included?'),
  ('30000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000001', 'a11ce000-0000-4000-8000-000000000000', 'Yes, one spot.'),
  ('30000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000002', 'ca201000-0000-4000-8000-000000000000', 'We arrive late, is that fine?'),
  ('30000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000003', 'a11ce000-0000-4000-8000-000000000000', 'Can I bring a dog?');
insert into public.reviews (id, booking_id, reviewer_id, reviewee_id, rating, body) values
  ('40000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', 'b0b00000-0000-4000-8000-000000000000', 'a11ce000-0000-4000-8000-000000000000', 5, 'Lovely host'),
  ('40000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000001', 'a11ce000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000', 4, 'Tidy guest'),
  ('40000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000002', 'ca201000-0000-4000-8000-000000000000', 'b0b00000-0000-4000-8000-000000000000', 2, 'Cold cabin');
-- The nightly job.
refresh materialized view public.listing_stats;

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
