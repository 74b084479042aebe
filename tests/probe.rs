//! The probe function's outcome classes on a real cluster: only the statement under test
//! can deny; a failure while preparing or impersonating is never a denial.

mod common;

use rlsgate::matrix::Outcome;
use rlsgate::probe::cells::{classify, PROBE_FUNCTION};

struct Row {
    ok: bool,
    n: i64,
    state: Option<String>,
    msg: Option<String>,
}

fn probe(client: &mut postgres::Client, role: &str, prelude: &str, statement: &str) -> Outcome {
    client.batch_execute(PROBE_FUNCTION).unwrap();
    let claims = r#"{"sub":"66666666-6666-4666-8666-666666666666","role":"authenticated"}"#;
    let row = client
        .query_one(
            "select ok, n, state, msg from pg_temp.rlsgate_probe($1, $2, $3, $1, '', $4, $5, $6)",
            &[
                &role,
                &claims,
                &"66666666-6666-4666-8666-666666666666",
                &vec![prelude],
                &vec![statement],
                &vec![false],
            ],
        )
        .unwrap();
    let r = Row {
        ok: row.get(0),
        n: row.get(1),
        state: row.get(2),
        msg: row.get(3),
    };
    if r.ok {
        if r.n > 0 {
            Outcome::Allowed { rows: r.n as u64 }
        } else {
            Outcome::Filtered
        }
    } else {
        classify(r.state.unwrap_or_default(), r.msg.unwrap_or_default())
    }
}

fn setup(client: &mut postgres::Client) {
    client
        .batch_execute(
            "begin;
             create table public.probe_t (id int primary key, owner uuid not null, note text);
             alter table public.probe_t enable row level security;
             create policy probe_own on public.probe_t for all to authenticated
               using (owner = auth.uid()) with check (owner = auth.uid());
             grant select, insert, update, delete on public.probe_t to authenticated;
             revoke all on public.probe_t from anon;
             insert into public.probe_t values (1, '66666666-6666-4666-8666-666666666666', 'mine'),
                                               (2, '77777777-7777-4777-8777-777777777777', 'theirs');",
        )
        .unwrap();
}

#[test]
fn each_outcome_class_is_told_apart() {
    let mut c = common::superuser();
    setup(&mut c);
    assert_eq!(
        probe(
            &mut c,
            "authenticated",
            "",
            "update public.probe_t set note = note where id = 1"
        ),
        Outcome::Allowed { rows: 1 }
    );
    assert_eq!(
        probe(
            &mut c,
            "authenticated",
            "",
            "update public.probe_t set note = note where id = 2"
        ),
        Outcome::Filtered
    );
    assert!(matches!(
        probe(
            &mut c,
            "authenticated",
            "",
            "insert into public.probe_t values (3, '77777777-7777-4777-8777-777777777777', 'x')"
        ),
        Outcome::DeniedRls { .. }
    ));
    assert!(matches!(
        probe(&mut c, "anon", "", "delete from public.probe_t"),
        Outcome::DeniedPrivilege { .. }
    ));
    assert!(matches!(
        probe(&mut c, "authenticated", "", "insert into public.probe_t values (4, '66666666-6666-4666-8666-666666666666', null), (4, '66666666-6666-4666-8666-666666666666', null)"),
        Outcome::Inconclusive { ref sqlstate, .. } if sqlstate == "23505"
    ));
    c.batch_execute("rollback").unwrap();
}

#[test]
fn a_failing_prelude_or_impersonation_is_inconclusive_never_denied() {
    let mut c = common::superuser();
    setup(&mut c);
    let prelude_denied = probe(
        &mut c,
        "authenticated",
        "set role anon; delete from public.probe_t",
        "select 1",
    );
    assert!(
        matches!(prelude_denied, Outcome::Inconclusive { ref sqlstate, .. } if sqlstate == "setup"),
        "{prelude_denied:?}"
    );
    let no_such_role = probe(&mut c, "no_such_role", "", "delete from public.probe_t");
    assert!(
        matches!(no_such_role, Outcome::Inconclusive { ref sqlstate, .. } if sqlstate == "setup"),
        "{no_such_role:?}"
    );
    c.batch_execute("rollback").unwrap();
}

#[test]
fn every_probe_is_rolled_back() {
    let mut c = common::superuser();
    setup(&mut c);
    assert_eq!(
        probe(
            &mut c,
            "authenticated",
            "",
            "delete from public.probe_t where id = 1"
        ),
        Outcome::Allowed { rows: 1 }
    );
    let n: i64 = c
        .query_one("select count(*) from public.probe_t", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    let role: String = c
        .query_one("select current_user::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(role, "supabase_admin");
    c.batch_execute("rollback").unwrap();
}
