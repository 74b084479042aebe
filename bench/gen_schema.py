#!/usr/bin/env python3
"""Generate an rlsgate project with N tables: owner policies and foreign-key chains.

    bench/gen_schema.py [--tenant] N DIR

Tables come in chains of four: the head is owned through `user_id -> auth.users(id)` with
one policy per command; each following table references the previous one
(`parent_id ... on delete cascade`), has no owner column of its own (ownership follows the
foreign key), and its policies look the parent up with `exists`, so the parent's own RLS
applies inside. Every table also has a CHECK constraint, a NOT NULL column without default,
a unique column and an index, so row synthesis has some work to do. The migrations are split
into files of 50 tables; policy_specs/gate.toml declares the whole matrix through
`[defaults]` (anon none, authenticated own, service all), so `rlsgate test` passes.

With --tenant the same tables live in tenants: an `orgs` table and an `org_members` membership
table (user, org, role) come first, each chain head also has `org_id -> orgs`, and the heads'
policies ask `org_id in (select public.my_orgs())`, a SECURITY DEFINER helper over the
memberships (the children still look their parent up). No [tenancy] section: the model is
inferred. The spec says `tenant` for every table.

With --functions K (owner mode) K SECURITY DEFINER RPCs follow, the way large Supabase apps
write them (executable by anon and authenticated, as every new function is): over the chain
heads in turn, a count for a user (`p_user_id`), a row by id (`p_id`, jsonb), a state change
of a row by id, and a search by text running dynamic SQL with `%L`; every second one asks
`auth.uid()` first. Their [functions] lines allow anon and authenticated to call them and say
nothing of `reads`/`writes`: benchmark input, not a clean project (calls that reach past RLS
are suspicious).
"""
import os
import sys

CHAIN = 4
PER_FILE = 50


TENANCY = """create table public.orgs (
  id uuid primary key default gen_random_uuid(),
  name text not null
);
create table public.org_members (
  org_id uuid not null references public.orgs (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'member' check (role in ('owner', 'member')),
  primary key (org_id, user_id)
);
create function public.my_orgs() returns setof uuid
  language sql stable security definer set search_path = ''
  as $$ select org_id from public.org_members where user_id = (select auth.uid()) $$;
revoke execute on function public.my_orgs() from public, anon;
alter table public.orgs enable row level security;
alter table public.org_members enable row level security;
create policy "orgs select" on public.orgs for select to authenticated
  using (id in (select public.my_orgs()));
create policy "org_members select" on public.org_members for select to authenticated
  using (org_id in (select public.my_orgs()));
"""


def table_sql(i: int, tenant: bool = False) -> str:
    name = f"t{i:04}"
    level = i % CHAIN
    cols = [
        "  id uuid primary key default gen_random_uuid()",
    ]
    if level == 0:
        cols.append("  user_id uuid not null references auth.users (id) on delete cascade")
        if tenant:
            cols.append("  org_id uuid not null references public.orgs (id) on delete cascade")
    else:
        parent = f"t{i - 1:04}"
        cols.append(f"  parent_id uuid not null references public.{parent} (id) on delete cascade")
    cols += [
        "  title text not null check (char_length(title) between 1 and 200)",
        "  slug text unique",
        "  status text not null default 'draft' check (status in ('draft', 'published', 'archived'))",
        "  amount numeric(10, 2)",
        "  body jsonb not null default '{}'::jsonb",
        "  created_at timestamptz not null default now()",
    ]
    out = [f"create table public.{name} (\n" + ",\n".join(cols) + "\n);"]
    fk = "user_id" if level == 0 else "parent_id"
    out.append(f"create index {name}_{fk}_idx on public.{name} ({fk});")
    out.append(f"alter table public.{name} enable row level security;")
    if level == 0 and tenant:
        mine = "org_id in (select public.my_orgs())"
    elif level == 0:
        mine = "(select auth.uid()) = user_id"
    else:
        parent = f"t{i - 1:04}"
        mine = f"exists (select 1 from public.{parent} p where p.id = {name}.parent_id)"
    out += [
        f'create policy "{name} select own" on public.{name} for select to authenticated\n'
        f"  using ({mine});",
        f'create policy "{name} insert own" on public.{name} for insert to authenticated\n'
        f"  with check ({mine});",
        f'create policy "{name} update own" on public.{name} for update to authenticated\n'
        f"  using ({mine}) with check ({mine});",
        f'create policy "{name} delete own" on public.{name} for delete to authenticated\n'
        f"  using ({mine});",
    ]
    return "\n".join(out) + "\n"


def function_sql(k: int, heads: int) -> str:
    table = f"t{(k % heads) * CHAIN:04}"
    kind = (k // heads + k) % 4
    check = "  if p_user_id <> (select auth.uid()) then raise exception 'not yours'; end if;\n" if k % 2 == 0 else ""
    by_id_check = (
        f"  if not exists (select 1 from public.{table} x where x.id = p_id and x.user_id = (select auth.uid())) then\n"
        "    raise exception 'not yours';\n  end if;\n"
        if k % 2 == 0
        else ""
    )
    name = f"{table}_rpc_{k:04}"
    if kind == 0:
        return (
            f"create function public.{name}(p_user_id uuid) returns bigint\n"
            "language plpgsql stable security definer set search_path = '' as $$\nbegin\n"
            f"{check}  return (select count(*) from public.{table} t where t.user_id = p_user_id);\nend $$;\n"
        )
    if kind == 1:
        return (
            f"create function public.{name}(p_id uuid) returns jsonb\n"
            "language plpgsql stable security definer set search_path = '' as $$\nbegin\n"
            f"{by_id_check}  return (select to_jsonb(t) from public.{table} t where t.id = p_id);\nend $$;\n"
        )
    if kind == 2:
        return (
            f"create function public.{name}(p_id uuid) returns void\n"
            "language plpgsql security definer set search_path = '' as $$\nbegin\n"
            f"{by_id_check}  update public.{table} t set status = 'archived' where t.id = p_id;\nend $$;\n"
        )
    return (
        f"create function public.{name}(term text) returns setof uuid\n"
        "language plpgsql stable security definer set search_path = '' as $$\nbegin\n"
        f"  return query execute format('select id from public.{table} where title ilike %L', '%' || term || '%');\nend $$;\n"
    )


def main() -> None:
    args = sys.argv[1:]
    tenant = "--tenant" in args
    args = [a for a in args if a != "--tenant"]
    functions = 0
    if "--functions" in args:
        at = args.index("--functions")
        functions = int(args[at + 1])
        del args[at : at + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    n, root = int(args[0]), args[1]
    mig = os.path.join(root, "migrations")
    specs = os.path.join(root, "policy_specs")
    os.makedirs(mig, exist_ok=True)
    os.makedirs(specs, exist_ok=True)
    for f in range(0, n, PER_FILE):
        path = os.path.join(mig, f"2024010100{f // PER_FILE:04}_tables.sql")
        with open(path, "w") as fh:
            fh.write(f"-- generated: tables {f} to {min(f + PER_FILE, n) - 1}\n")
            if tenant and f == 0:
                fh.write(TENANCY)
            for i in range(f, min(f + PER_FILE, n)):
                fh.write(table_sql(i, tenant))
    if functions:
        heads = max(1, (n + CHAIN - 1) // CHAIN)
        with open(os.path.join(mig, "20240102000000_functions.sql"), "w") as fh:
            fh.write(f"-- generated: {functions} SECURITY DEFINER RPCs\n")
            for k in range(functions):
                fh.write(function_sql(k, heads))
    with open(os.path.join(specs, "gate.toml"), "w") as fh:
        if functions:
            fh.write(
                "[function_defaults]\n"
                'anon = "allow"\n'
                'authenticated = "allow"\n'
                'service = "allow"\n\n'
            )
        if tenant:
            fh.write(
                "# generated: every table is read and written by the members of its tenant\n"
                "[defaults]\n"
                'anon = "none"\n'
                'authenticated = "tenant"\n'
                'service = "all"\n\n'
                "[tables.orgs]\n"
                'authenticated = { select = "tenant", insert = "deny", update = "none", delete = "none" }\n\n'
                "[tables.org_members]\n"
                'authenticated = { select = "tenant", insert = "deny", update = "none", delete = "none" }\n\n'
                "[functions]\n"
                'my_orgs = ["authenticated", "service"]\n'
            )
            return
        fh.write(
            "# generated: every table is owner-only\n"
            "[defaults]\n"
            'anon = "none"\n'
            'authenticated = "own"\n'
            'service = "all"\n'
        )


if __name__ == "__main__":
    main()
