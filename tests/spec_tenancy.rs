//! `[tenancy]` and the tenant words, as a user writes them wrong: every mistake is a located
//! error with a suggestion and exit 2, on the real example projects (real migrations, real runs).

mod common;

use std::path::Path;

use common::{copy_dir, repo, run, stderr, stdout};

/// `examples/<name>` in a scratch directory, with `edit` applied to its access spec.
fn example_with(name: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples").join(name), dir.path());
    let spec = dir.path().join("policy_specs/access.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(&spec, edited).unwrap();
    dir
}

fn replacing(from: &'static str, to: &'static str) -> impl Fn(&str) -> String {
    move |text: &str| {
        assert!(text.contains(from), "`{from}` is not in the spec");
        text.replacen(from, to, 1)
    }
}

/// Runs `test` and returns stderr, checking exit 2 and a `file:line:column` location.
fn refused(project: &Path) -> String {
    let out = run(&["test"], project);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{}\n{err}", stdout(&out));
    assert!(
        err.contains("policy_specs/access.toml:"),
        "no location in:\n{err}"
    );
    err
}

fn assert_has(err: &str, needles: &[&str]) {
    for n in needles {
        assert!(err.contains(n), "`{n}` missing from:\n{err}");
    }
}

#[test]
fn unknown_tenant_table() {
    let p = example_with(
        "orgs",
        replacing(r#"tenant = "accounts""#, r#"tenant = "acounts""#),
    );
    let err = refused(p.path());
    assert_has(
        &err,
        &[
            "unknown tenant table `acounts`",
            "access.toml:13:10",
            "did you mean `accounts`?",
        ],
    );
}

#[test]
fn unknown_membership_table_points_at_its_name() {
    let p = example_with(
        "orgs",
        replacing(r#"table = "account_user""#, r#"table = "account_users""#),
    );
    let err = refused(p.path());
    assert_has(
        &err,
        &[
            "unknown membership table `account_users`",
            "access.toml:14:24",
            "did you mean `account_user`?",
        ],
    );
}

#[test]
fn membership_columns_must_exist_and_reference_the_right_tables() {
    let p = example_with(
        "orgs",
        replacing(r#"user = "user_id""#, r#"user = "usr_id""#),
    );
    assert_has(
        &refused(p.path()),
        &[
            "`account_user` has no column `usr_id` (in `membership`)",
            "did you mean `user_id`?",
        ],
    );
    let p = example_with(
        "orgs",
        replacing(r#"tenant = "account_id""#, r#"tenant = "user_id""#),
    );
    assert_has(
        &refused(p.path()),
        &[
            "`user_id` does not reference the tenant table `accounts`",
            "name the column of `account_user` that references `accounts`",
        ],
    );
    let p = example_with(
        "orgs",
        replacing(r#"role = "account_role""#, r#"role = "acount_role""#),
    );
    assert_has(&refused(p.path()), &["did you mean `account_role`?"]);
}

#[test]
fn members_must_be_identities_that_own_rows() {
    let p = example_with(
        "orgs",
        replacing(
            r#"alice = { acme = "member" }"#,
            r#"carol = { acme = "member" }"#,
        ),
    );
    assert_has(
        &refused(p.path()),
        &[
            "unknown identity `carol`",
            "identities with a user id: alice, bob, admin",
        ],
    );
    let p = example_with(
        "orgs",
        replacing(
            r#"alice = { acme = "member" }"#,
            r#"service = { acme = "member" }"#,
        ),
    );
    assert_has(
        &refused(p.path()),
        &["`service` owns no rows, so it cannot be a member"],
    );
}

#[test]
fn member_of_an_unknown_tenant_or_with_an_unknown_role() {
    let p = example_with("orgs", |t| {
        t.replacen(
            "[tenancy.members]",
            "tenants = [\"acme\", \"globex\"]\n\n[tenancy.members]",
            1,
        )
        .replacen(
            r#"bob = { globex = "member" }"#,
            r#"bob = { initech = "member" }"#,
            1,
        )
    });
    assert_has(
        &refused(p.path()),
        &["unknown tenant `initech`", "tenants: acme, globex"],
    );
    let p = example_with(
        "orgs",
        replacing(
            r#"bob = { globex = "member" }"#,
            r#"bob = { globex = "membr" }"#,
        ),
    );
    assert_has(
        &refused(p.path()),
        &["unknown role `membr`", "did you mean `member`?"],
    );
}

#[test]
fn tenant_words_need_a_model_a_path_and_a_known_role() {
    let p = example_with(
        "orgs",
        replacing(
            r#"delete = "tenant:owner" }"#,
            r#"delete = "tenant:ownr" }"#,
        ),
    );
    assert_has(
        &refused(p.path()),
        &["unknown tenant role `ownr`", "did you mean `owner`?"],
    );

    // a reference table with no foreign-key path to the tenant table
    let p = example_with("orgs", |t| {
        format!("{t}\n[tables.countries]\nauthenticated = {{ select = \"tenant\", insert = \"deny\", update = \"none\", delete = \"none\" }}\n")
    });
    std::fs::write(
        p.path()
            .join("supabase/migrations/20250101000000_countries.sql"),
        "create table public.countries (code text primary key, name text not null);\n\
         alter table public.countries enable row level security;\n\
         create policy \"read\" on public.countries for select to authenticated using (true);\n",
    )
    .unwrap();
    assert_has(
        &refused(p.path()),
        &[
            "`tenant` on `countries`, which the tenant model does not reach",
            "declare `tenant = \"via <column>\"` under [tables.countries]",
        ],
    );

    // a single-owner project has no tenants at all
    let p = example_with(
        "agent-creator",
        replacing(
            "[tables.agents]\nauthenticated = \"own\"",
            "[tables.agents]\nauthenticated = \"own\"\nadmin = { select = \"tenant\" }",
        ),
    );
    assert_has(
        &refused(p.path()),
        &[
            "`tenant` needs a tenant model, and this project has none",
            "docs/specs.md#tenants-and-memberships",
        ],
    );
}

#[test]
fn a_tenancy_section_that_names_no_membership_is_incomplete() {
    let p = example_with("agent-creator", |t| {
        format!("{t}\n[tenancy]\ntenant = \"agents\"\n")
    });
    assert_has(
        &refused(p.path()),
        &[
            "`[tenancy]` is incomplete: no membership table joins users to `agents`",
            "or `tenancy = false`",
        ],
    );
}

/// A profile made by a signup trigger, whose `team_id` the spec declares as its tenant: the
/// trigger leaves it in no team, and the probe engine moves it into its owner's team, so
/// teammates' profiles are the rows of the tenant.
#[test]
fn a_declared_tenant_column_on_a_trigger_made_profile() {
    let p = example_with(
        "teams",
        replacing("[tables.users]\n", "[tables.users]\ntenant = \"team_id\"\n"),
    );
    let out = run(&["test"], p.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("0 failed, 0 unspecified, 0 inconclusive"),
        "{text}"
    );
}

/// `snapshot` on a project without specs writes the tenant model it inferred as `[tenancy]`,
/// and the next run reads it as declared and passes.
#[test]
fn snapshot_writes_the_inferred_tenant_model() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/teams"), dir.path());
    std::fs::remove_dir_all(dir.path().join("policy_specs")).unwrap();
    let out = run(&["snapshot"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("note: tenancy (inferred): tenants teams"));
    let written = std::fs::read_to_string(dir.path().join("policy_specs/access.toml")).unwrap();
    for line in [
        "[tenancy]\ntenant = \"teams\"\n",
        "membership = { table = \"users_on_team\", user = \"user_id\", tenant = \"team_id\", role = \"role\" }",
        "[tenancy.members]\nalice = { t1 = \"member\" }\nadmin = { t1 = \"owner\" }\nbob = { t2 = \"member\" }",
    ] {
        assert!(written.contains(line), "`{line}` missing from:\n{written}");
    }
    assert!(written.find("[tenancy]") < written.find("[defaults]"));

    let out = run(&["test"], dir.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{}\n{err}", stdout(&out));
    assert!(err.contains("note: tenancy: tenants teams"), "{err}");
}

/// A membership table with a second foreign key besides the tenant's (`tenant_users (tenant_id,
/// user_id, member_id)`, as a held-out church app has it, with `member_id`'s constraint named
/// first) is read by the key the user shares with the tenant, not by the first foreign key.
#[test]
fn the_tenant_key_of_a_membership_is_the_one_keyed_with_the_user() {
    let dir = common::project(&[(
        "001_schema.sql",
        "create table public.tenants (id uuid primary key default gen_random_uuid(), name text);
         create table public.members (
           id uuid primary key default gen_random_uuid(),
           tenant_id uuid not null references public.tenants (id),
           name text);
         create table public.tenant_users (
           tenant_id uuid references public.tenants (id),
           user_id uuid references auth.users (id),
           role text not null default 'member',
           primary key (tenant_id, user_id));
         alter table public.tenant_users
           add column member_id uuid constraint a_member_fkey references public.members (id);
         create table public.notes (
           id uuid primary key default gen_random_uuid(),
           tenant_id uuid not null references public.tenants (id),
           body text);
         alter table public.tenants enable row level security;
         alter table public.members enable row level security;
         alter table public.tenant_users enable row level security;
         alter table public.notes enable row level security;
         create policy own on public.tenant_users for select using (user_id = auth.uid());
         create policy tenant on public.notes for all using (
           tenant_id in (select tenant_id from public.tenant_users where user_id = auth.uid()));",
    )]);
    let out = run(&["test", "--allow-unspecified"], dir.path());
    let err = stderr(&out);
    assert!(
        err.contains(
            "note: tenancy (inferred): tenants tenants, members in tenant_users (user user_id, \
             tenant tenant_id, role role)"
        ),
        "{err}"
    );
}
