//! `--db-url` leaves no trace: data, schema, roles and sequence values are the same before and
//! after 20 runs (tests, mutation tests, `--migrate` runs whose migration commits, sets
//! sequences and creates roles), interrupted ones included.

use std::process::{Command, Stdio};
use std::time::Duration;

use rlsgate::cluster::{Cluster, ClusterOptions};
use rlsgate::supabase::{MIGRATION_ROLE, SUPERUSER};

use crate::common;
use crate::support::{Random, Sandbox};

const SCHEMA: &str = r#"
create table public.notes (
  id bigint generated always as identity primary key,
  owner_id uuid references auth.users (id) default auth.uid(),
  body text
);
alter table public.notes enable row level security;
create policy "own" on public.notes for all to authenticated
  using (owner_id = auth.uid()) with check (owner_id = auth.uid());
create table public.signups (id serial primary key, user_id uuid, at timestamptz default now());
alter table public.signups enable row level security;
create sequence public.counter;
create function public.on_signup() returns trigger language plpgsql security definer
  set search_path = '' as $$
begin
  insert into public.signups (user_id) values (new.id);
  perform nextval('public.counter');
  return new;
end $$;
create trigger on_signup after insert on auth.users for each row execute function public.on_signup();
insert into public.notes (body) values ('kept');
select setval('public.counter', 41);
"#;

/// Applied with `--migrate` on top: it commits, rolls back, moves sequences and makes roles.
const EXTRA: &str = r#"
create table public.extra (id serial primary key, note text);
insert into public.extra (note) values ('x');
select setval('public.notes_id_seq', 1000);
select nextval('public.counter');
commit;
insert into public.notes (body) values ('after a commit');
create role rlsgate_extra_role;
alter role authenticated set statement_timeout = '5s';
rollback;
insert into public.notes (body) values ('after a rollback');
"#;

/// Everything a run could leave behind: schema and data of the database (sequence values
/// included) and the cluster's roles and their settings.
fn fingerprint(cluster: &Cluster) -> String {
    let url = cluster.url(SUPERUSER);
    let dump = |program: &str, args: &[&str]| -> String {
        let out = Command::new(cluster.bin.dir.join(program))
            .args(args)
            .arg("--dbname")
            .arg(&url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{program}: {}", common::text(&out).1);
        // pg_dump's `\restrict` lines carry a random key on every dump.
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut client = cluster.connect(SUPERUSER).unwrap();
    let sequences: String = client
        .query_one(
            "select string_agg(format('%s %s', c.oid::regclass, pg_sequence_last_value(c.oid)), ', ' order by 1)
             from pg_class c where c.relkind = 'S'",
            &[],
        )
        .unwrap()
        .get(0);
    format!(
        "{}\n-- globals\n{}\n-- sequences\n{sequences}\n",
        dump("pg_dump", &["--no-sync"]),
        dump("pg_dumpall", &["--globals-only", "--no-role-passwords"]),
    )
}

#[test]
fn twenty_db_url_runs_interrupted_or_not_leave_no_trace() {
    let cluster = Cluster::start(&ClusterOptions::default()).unwrap();
    cluster
        .connect(MIGRATION_ROLE)
        .unwrap()
        .batch_execute(SCHEMA)
        .unwrap();
    let before = fingerprint(&cluster);
    let url = cluster.url(MIGRATION_ROLE);

    let base = common::project(&[("001_schema.sql", SCHEMA)]);
    let extra = common::project(&[("002_extra.sql", EXTRA)]);
    let sandbox = Sandbox::new();
    let mut random = Random::new("db-url");
    let mut interrupted = 0;
    let mut codes = Vec::new();
    // The first run of each kind is left alone and timed; later runs of that kind are, every
    // other one, interrupted at a random moment within that time.
    let mut lasts = [Duration::ZERO; 4];
    for i in 0..20 {
        let (project, args): (&std::path::Path, &[&str]) = match i % 4 {
            0 => (base.path(), &["test", "--allow-unspecified"]),
            1 => (extra.path(), &["test", "--migrate", "--allow-unspecified"]),
            2 => (base.path(), &["mutate"]),
            _ => (extra.path(), &["snapshot", "--check"]),
        };
        let started = std::time::Instant::now();
        let mut child = sandbox
            .command(project)
            .env("RLSGATE_TEST_SLOW_MS", "10")
            .args(["--db-url", &url])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        while !crate::support::handles_signals(child.id()) && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let signal = (i >= 4 && i % 2 == 1).then(|| {
            let last = lasts[i % 4].as_millis() as u64;
            std::thread::sleep(Duration::from_millis(random.between(0, last * 4 / 5)));
            let sig = if i % 4 == 1 {
                libc::SIGINT
            } else {
                libc::SIGTERM
            };
            if child.try_wait().unwrap().is_none() {
                crate::support::signal(child.id(), sig);
                Some(sig)
            } else {
                None
            }
        });
        let out = child.wait_with_output().unwrap();
        let code = out.status.code();
        if i < 4 {
            lasts[i] = started.elapsed();
        }
        if let Some(Some(sig)) = signal {
            interrupted += 1;
            assert_eq!(code, Some(128 + sig), "{}", common::text(&out).1);
        }
        codes.push(code);
        let after = fingerprint(&cluster);
        if after != before {
            let changed: Vec<String> = after
                .lines()
                .filter(|l| !before.lines().any(|b| b == *l))
                .map(str::to_string)
                .collect();
            panic!(
                "run {i} ({args:?}, exit {code:?}) left a trace:\n{}\n{}",
                changed.join("\n"),
                common::text(&out).1
            );
        }
    }
    eprintln!("20 --db-url runs, {interrupted} interrupted; exit codes {codes:?}");
    assert!(interrupted >= 5, "only {interrupted} runs were interrupted");
}
