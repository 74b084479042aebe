//! Probe rows and probes past what real schemas declare beyond plain columns: unique indexes
//! over expressions, bytea keys, CHECKs on text length, a trigger refusing one value a CHECK
//! allows, JSON values an update writes back, and keys a transfer of every row would make
//! collide. Each is modelled on a repository of docs/realworld.md. Real cluster, real CLI.

mod common;

/// `rlsgate test --allow-unspecified --format json`: (summary, the inconclusive cells'
/// details, stderr).
fn test_json(files: &[(&str, &str)]) -> (serde_json::Value, Vec<String>, String) {
    let (report, inconclusive, stderr) = test_report(files);
    (report["summary"].clone(), inconclusive, stderr)
}

/// The same with the whole report.
fn test_report(files: &[(&str, &str)]) -> (serde_json::Value, Vec<String>, String) {
    let (_, report, stderr) = common::test_report(files);
    let inconclusive = report["cells"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["outcome"] == "inconclusive")
        .map(|c| {
            format!(
                "{} {} {}: {}",
                c["table"], c["identity"], c["command"], c["detail"]
            )
        })
        .collect();
    (report, inconclusive, stderr)
}

/// A product row a migration inserts is the template of the probe rows; its name is under a
/// unique index over `lower(btrim(name))`, so each probe row needs a name of its own.
#[test]
fn an_expression_unique_index_gets_fresh_values_in_probe_rows() {
    let (summary, inconclusive, stderr) = test_json(&[(
        "20260409020000_products.sql",
        "create table public.products (
           id bigint generated always as identity primary key,
           created_by uuid default auth.uid() references auth.users (id),
           name text not null,
           product_type text,
           price numeric not null default 0
         );
         create unique index products_name_type_unique_idx
           on public.products using btree (lower(btrim(name)), coalesce(upper(product_type), 'RAW'));
         insert into public.products (created_by, name, product_type)
           values (null, 'Dried Mango', 'FINISHED');
         alter table public.products enable row level security;
         create policy products_own on public.products for all to authenticated
           using (created_by = auth.uid()) with check (created_by = auth.uid());",
    )]);
    assert!(summary["cells"].as_u64() > Some(0), "{summary} {stderr}");
    assert!(inconclusive.is_empty(), "{inconclusive:#?}\n{stderr}");
}

/// sendapp: a passkey's public key is a unique bytea column; each probe row needs bytes of its own.
#[test]
fn a_unique_bytea_column_gets_its_own_bytes_per_row() {
    let (summary, inconclusive, stderr) = test_json(&[(
        "20240101173854_webauthn.sql",
        "create table public.webauthn_credentials (
           id uuid primary key default gen_random_uuid(),
           user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
           name text not null,
           raw_credential_id bytea not null,
           public_key bytea not null,
           sign_count bigint not null default 0
         );
         create unique index webauthn_credentials_raw_credential_id
           on public.webauthn_credentials using btree (raw_credential_id, user_id);
         create unique index webauthn_credentials_public_key
           on public.webauthn_credentials using btree (public_key);
         alter table public.webauthn_credentials enable row level security;
         create policy own on public.webauthn_credentials for all to authenticated
           using (user_id = auth.uid()) with check (user_id = auth.uid());",
    )]);
    assert!(summary["cells"].as_u64() > Some(0), "{summary} {stderr}");
    assert!(inconclusive.is_empty(), "{inconclusive:#?}\n{stderr}");
}

/// local-community-platform: `check (char_length(body) between 10 and 2000)` refuses short
/// texts; the ideas' comments need an idea to reference.
#[test]
fn a_check_on_text_length_gets_a_text_of_that_length() {
    let (summary, inconclusive, stderr) = test_json(&[(
        "20260101000000_ideas.sql",
        "create table public.ideas (
           id uuid primary key default gen_random_uuid(),
           author_id uuid not null default auth.uid() references auth.users (id),
           title text not null,
           body text not null,
           created_at timestamptz not null default now(),
           constraint ideas_body_length check (char_length(body) between 10 and 2000)
         );
         create table public.idea_comments (
           id uuid primary key default gen_random_uuid(),
           idea_id uuid not null references public.ideas (id) on delete cascade,
           author_id uuid not null default auth.uid() references auth.users (id),
           body text not null,
           constraint idea_comments_body_length check (char_length(btrim(body)) between 1 and 1500)
         );
         alter table public.ideas enable row level security;
         alter table public.idea_comments enable row level security;
         create policy ideas_read on public.ideas for select to authenticated using (true);
         create policy ideas_own on public.ideas for all to authenticated
           using (author_id = auth.uid()) with check (author_id = auth.uid());
         create policy comments_read on public.idea_comments for select to authenticated using (true);
         create policy comments_own on public.idea_comments for all to authenticated
           using (author_id = auth.uid()) with check (author_id = auth.uid());",
    )]);
    assert!(summary["cells"].as_u64() > Some(0), "{summary} {stderr}");
    assert!(inconclusive.is_empty(), "{inconclusive:#?}\n{stderr}");
}

/// greenville: the update probe writes back a value a row holds; a jsonb row holding the JSON
/// string `"Your School Name"` is written back as JSON, not as the bare text.
#[test]
fn an_update_writes_back_a_json_string_as_json() {
    let (summary, inconclusive, stderr) = test_json(&[(
        "20260415120000_settings.sql",
        "create table public.school_settings (
           id uuid primary key default gen_random_uuid(),
           key text unique not null,
           value jsonb not null default '{}',
           updated_at timestamptz default now()
         );
         alter table public.school_settings enable row level security;
         create policy \"Admins manage school_settings\" on public.school_settings for all to authenticated
           using ((auth.jwt() ->> 'email') = 'admin@example.test')
           with check ((auth.jwt() ->> 'email') = 'admin@example.test');
         create policy \"All authenticated read school_settings\" on public.school_settings for select
           to authenticated using (true);
         insert into public.school_settings (key, value) values
           ('school_name', '\"Your School Name\"'),
           ('terms', '[\"First Term\", \"Second Term\"]');",
    )]);
    assert!(summary["cells"].as_u64() > Some(0), "{summary} {stderr}");
    assert!(inconclusive.is_empty(), "{inconclusive:#?}\n{stderr}");
}

/// launchbharat-platform: roles keyed by (user, role); handing every row to one user makes two
/// users' rows of the same role collide, but the per-row transfer already moved a row: the
/// cell is decided, and says so.
#[test]
fn a_transfer_of_every_row_colliding_on_a_composite_key_is_decided_by_the_per_row_one() {
    let (report, inconclusive, stderr) = test_report(&[(
        "20260101000000_roles.sql",
        "create type public.app_role as enum ('admin', 'reviewer', 'support');
         create table public.user_roles (
           user_id uuid not null references auth.users (id) on delete cascade,
           role public.app_role not null,
           created_at timestamptz not null default now(),
           primary key (user_id, role)
         );
         create function public.has_role(required public.app_role) returns boolean
         language sql stable security definer set search_path = '' as $$
           select exists (select 1 from public.user_roles where user_id = auth.uid() and role = required)
         $$;
         alter table public.user_roles enable row level security;
         create policy roles_read_own on public.user_roles for select to authenticated
           using (user_id = auth.uid() or public.has_role('admin'));
         create policy roles_admin_all on public.user_roles for all to authenticated
           using (public.has_role('admin')) with check (public.has_role('admin'));",
    )]);
    assert!(inconclusive.is_empty(), "{inconclusive:#?}\n{stderr}");
    let admin_update = report["cells"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["identity"] == "admin" && c["command"] == "update")
        .unwrap_or_else(|| panic!("no admin update cell: {report}"));
    assert!(
        admin_update["actual"]
            .as_str()
            .is_some_and(|a| a.ends_with("+transfer")),
        "{admin_update}"
    );
}

/// Nutaria-Final: a trigger refuses `PACKET` units without an `OP` product; the CHECK also
/// allows `BOX`, which the trigger lets through, so the probe rows are boxes.
#[test]
fn a_trigger_refusing_one_checked_value_gets_another() {
    let (summary, inconclusive, stderr) = test_json(&[(
        "20260222160000_packaging.sql",
        "create table public.products (
           id serial primary key,
           name text not null,
           product_type text
         );
         create table public.packaging_units (
           id serial primary key,
           code text not null,
           unit_type text not null,
           net_weight_kg numeric(10,3),
           operational_product_id integer references public.products (id),
           constraint packaging_units_unit_type_check check (unit_type = any (array['PACKET', 'BOX'])),
           constraint packet_net_weight_required_chk
             check ((unit_type = 'PACKET' and net_weight_kg is not null) or unit_type = 'BOX')
         );
         create function public.validate_packaging_unit_operational_product_type() returns trigger
         language plpgsql as $$
         declare
           v_product_type text;
         begin
           if new.unit_type <> 'PACKET' then
             return new;
           end if;
           select p.product_type into v_product_type from public.products p
            where p.id = new.operational_product_id;
           if v_product_type is distinct from 'OP' then
             raise exception 'Packaging packet units must map to OP products. product_id=% type=%',
               new.operational_product_id, coalesce(v_product_type, 'NULL');
           end if;
           return new;
         end $$;
         create trigger packaging_units_validate before insert or update on public.packaging_units
           for each row execute function public.validate_packaging_unit_operational_product_type();
         alter table public.products enable row level security;
         alter table public.packaging_units enable row level security;
         create policy staff_products on public.products for all to authenticated using (true) with check (true);
         create policy staff_units on public.packaging_units for all to authenticated using (true) with check (true);",
    )]);
    assert!(summary["cells"].as_u64() > Some(0), "{summary} {stderr}");
    assert!(inconclusive.is_empty(), "{inconclusive:#?}\n{stderr}");
}
