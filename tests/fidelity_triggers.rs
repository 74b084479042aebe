//! Setup rows that an app's trigger refuses (modelled on kruxt-beta's "Coach must be assigned
//! to this athlete"): placed with triggers off, as a data-only seed loads, while the probes
//! still fire every trigger; and writes through a view that leave out the columns it
//! computes. Real cluster, real CLI.

mod common;

/// `rlsgate test --allow-unspecified --format json`: (the report, stderr).
fn test_report(files: &[(&str, &str)]) -> (serde_json::Value, String) {
    let (_, report, stderr) = common::test_report(files);
    (report, stderr)
}

/// The cells of `table`, as `identity command -> (actual, detail)`.
fn cells_of(report: &serde_json::Value, table: &str) -> Vec<(String, String, String, String)> {
    report["cells"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["table"] == table)
        .map(|c| {
            (
                c["identity"].as_str().unwrap_or_default().to_string(),
                c["command"].as_str().unwrap_or_default().to_string(),
                c["actual"].as_str().unwrap_or_default().to_string(),
                c["detail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A note may only be made by the athlete's assigned coach, a rule a trigger enforces against
/// an assignments table no synthesized row fills. The notes and their replies are placed with
/// triggers off and read as the policies say; inserting a note still meets the trigger, so that
/// cell stays inconclusive, and every cell of the notes says how its rows were placed.
#[test]
fn a_row_a_business_rule_trigger_refuses_is_placed_with_triggers_off() {
    let (report, stderr) = test_report(&[(
        "20260530195805_coaching.sql",
        "create table public.coach_assignments (
           coach_id uuid not null references auth.users (id),
           user_id uuid not null references auth.users (id),
           approved boolean not null default false,
           primary key (coach_id, user_id)
         );
         create table public.coach_notes (
           id uuid primary key default gen_random_uuid(),
           user_id uuid not null default auth.uid() references auth.users (id),
           coach_id uuid references auth.users (id),
           body text not null
         );
         create table public.coach_note_replies (
           id uuid primary key default gen_random_uuid(),
           note_id uuid not null references public.coach_notes (id) on delete cascade,
           body text not null
         );
         create function public.coach_validate() returns trigger language plpgsql
         security definer set search_path = public as $$
         begin
           if not exists (select 1 from public.coach_assignments a
                          where a.coach_id = new.coach_id and a.user_id = new.user_id
                            and a.approved) then
             raise exception 'Coach must be assigned to this athlete';
           end if;
           return new;
         end $$;
         create trigger coach_notes_validate before insert on public.coach_notes
           for each row execute function public.coach_validate();
         alter table public.coach_assignments enable row level security;
         alter table public.coach_notes enable row level security;
         alter table public.coach_note_replies enable row level security;
         create policy notes_member on public.coach_notes for select to authenticated
           using (user_id = auth.uid());
         create policy notes_insert on public.coach_notes for insert to authenticated
           with check (user_id = auth.uid());
         create policy replies_member on public.coach_note_replies for select to authenticated
           using (exists (select 1 from public.coach_notes n
                          where n.id = note_id and n.user_id = auth.uid()));",
    )]);
    let notes = cells_of(&report, "public.coach_notes");
    assert!(!notes.is_empty(), "{stderr}");
    let select = |cells: &[(String, String, String, String)], who: &str| {
        cells
            .iter()
            .find(|c| c.0 == who && c.1 == "select")
            .map(|c| c.2.clone())
    };
    assert_eq!(
        select(&notes, "alice").as_deref(),
        Some("own"),
        "{notes:#?}"
    );
    assert_eq!(
        select(&notes, "anon").as_deref(),
        Some("none"),
        "{notes:#?}"
    );
    let replies = cells_of(&report, "public.coach_note_replies");
    assert_eq!(
        select(&replies, "alice").as_deref(),
        Some("own"),
        "{replies:#?}"
    );
    // the probe's insert fires the trigger: it cannot tell what RLS would say
    let insert = notes
        .iter()
        .find(|c| c.0 == "alice" && c.1 == "insert")
        .expect("an insert cell");
    assert_eq!(insert.2, "inconclusive", "{insert:?}");
    assert!(
        notes.iter().all(|c| c.3.contains("triggers off")
            && c.3.contains("Coach must be assigned to this athlete")),
        "{notes:#?}"
    );
    // the replies were placed normally: no note on them
    assert!(
        replies.iter().all(|c| !c.3.contains("triggers off")),
        "{replies:#?}"
    );
}

/// actium: the trigger states its rule with a CHECK's SQLSTATE (`raise exception using errcode
/// = '23514'`), naming no constraint of the table; it is the app's rule all the same, and the
/// row and the instalments below it are placed.
#[test]
fn a_rule_raised_with_a_check_sqlstate_is_a_trigger_rule() {
    let (report, stderr) = test_report(&[(
        "20260709052841_finance.sql",
        "create table public.rubros (
           id uuid primary key default gen_random_uuid(),
           nombre text not null,
           categoria text,
           activo boolean not null default false
         );
         create table public.cuentas_por_cobrar (
           id uuid primary key default gen_random_uuid(),
           user_id uuid not null default auth.uid() references auth.users (id),
           rubro_id uuid not null references public.rubros (id),
           monto numeric not null
         );
         create table public.cuotas (
           id uuid primary key default gen_random_uuid(),
           cxc_id uuid not null references public.cuentas_por_cobrar (id) on delete cascade,
           monto numeric not null
         );
         create function public.validar_rubro() returns trigger language plpgsql as $$
         begin
           if not exists (select 1 from public.rubros r where r.id = new.rubro_id
                          and r.categoria = 'ingresos' and r.activo) then
             raise exception using errcode = '23514',
               message = 'El rubro de una cuenta por cobrar debe tener categoria ingresos';
           end if;
           return new;
         end $$;
         create trigger cxc_rubro before insert or update on public.cuentas_por_cobrar
           for each row execute function public.validar_rubro();
         alter table public.rubros enable row level security;
         alter table public.cuentas_por_cobrar enable row level security;
         alter table public.cuotas enable row level security;
         create policy cxc_own on public.cuentas_por_cobrar for select to authenticated
           using (user_id = auth.uid());
         create policy cuotas_own on public.cuotas for select to authenticated
           using (exists (select 1 from public.cuentas_por_cobrar c
                          where c.id = cxc_id and c.user_id = auth.uid()));",
    )]);
    let reads = |table: &str| {
        cells_of(&report, table)
            .into_iter()
            .find(|c| c.0 == "alice" && c.1 == "select")
            .map(|c| c.2)
    };
    assert_eq!(
        reads("public.cuentas_por_cobrar").as_deref(),
        Some("own"),
        "{stderr}"
    );
    assert_eq!(reads("public.cuotas").as_deref(), Some("own"), "{stderr}");
}

/// sendapp: a security-invoker view masks a status with `case ... end as kyc_status`; no write
/// can set that column, so the probes through the view leave it out and judge the rest.
#[test]
fn a_computed_view_column_is_left_out_of_writes_through_the_view() {
    let (report, stderr) = test_report(&[(
        "20260115221712_customers.sql",
        "create table public.customers (
           id uuid primary key default gen_random_uuid(),
           user_id uuid not null default auth.uid() references auth.users (id),
           kyc_status text not null default 'pending',
           tos_status text not null default 'pending',
           updated_at timestamptz not null default now()
         );
         alter table public.customers enable row level security;
         create policy own on public.customers for all to authenticated
           using (user_id = auth.uid()) with check (user_id = auth.uid());
         create view public.customers_safe with (security_invoker = true) as
           select id, user_id,
                  case when kyc_status = 'rejected' and updated_at > now() - interval '5 minutes'
                       then 'under_review' else kyc_status end as kyc_status,
                  tos_status, updated_at
           from public.customers;
         grant select, insert, update, delete on public.customers_safe to authenticated;",
    )]);
    let view = cells_of(&report, "public.customers_safe");
    assert!(!view.is_empty(), "{stderr}");
    let inconclusive: Vec<_> = view.iter().filter(|c| c.2 == "inconclusive").collect();
    assert!(inconclusive.is_empty(), "{inconclusive:#?}");
    let alice = |command: &str| {
        view.iter()
            .find(|c| c.0 == "alice" && c.1 == command)
            .map(|c| c.2.clone())
    };
    assert_eq!(alice("update").as_deref(), Some("own"), "{view:#?}");
    assert_eq!(alice("insert").as_deref(), Some("own"), "{view:#?}");
}
