-- The product: projects of an account, their tasks (two hops from the account), and the
-- account's documents. Members work in all of them; owners may also delete.

create table public.projects (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references public.accounts (id) on delete cascade,
  name text not null,
  description text,
  archived boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index projects_account_id_idx on public.projects (account_id);

create table public.tasks (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  title text not null,
  status text not null default 'todo' check (status in ('todo', 'doing', 'done')),
  assignee_id uuid references auth.users (id) on delete set null,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  due_on date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index tasks_project_id_idx on public.tasks (project_id);

create table public.documents (
  id uuid primary key default gen_random_uuid(),
  account_id uuid not null references public.accounts (id) on delete cascade,
  title text not null,
  body text not null default '',
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index documents_account_id_idx on public.documents (account_id);

create trigger projects_set_timestamps before insert or update on public.projects
  for each row execute function basejump.trigger_set_timestamps();
create trigger tasks_set_timestamps before insert or update on public.tasks
  for each row execute function basejump.trigger_set_timestamps();
create trigger documents_set_timestamps before insert or update on public.documents
  for each row execute function basejump.trigger_set_timestamps();

alter table public.projects enable row level security;
alter table public.tasks enable row level security;
alter table public.documents enable row level security;

revoke all on public.projects, public.tasks, public.documents from anon;

-- projects: members of the account; owners delete.
create policy "Members see the projects of their accounts"
  on public.projects for select to authenticated
  using (basejump.has_role_on_account(account_id));
create policy "Members create projects in their accounts"
  on public.projects for insert to authenticated
  with check (basejump.has_role_on_account(account_id));
create policy "Members edit projects of their accounts"
  on public.projects for update to authenticated
  using (basejump.has_role_on_account(account_id))
  with check (basejump.has_role_on_account(account_id));
create policy "Owners delete projects of their accounts"
  on public.projects for delete to authenticated
  using (basejump.has_role_on_account(account_id, 'owner'));

-- tasks: through their project's account. The creator of a task may delete it; owners may
-- delete any task of their account.
create policy "Members see the tasks of their accounts"
  on public.tasks for select to authenticated
  using (exists (
    select 1 from public.projects p
    where p.id = tasks.project_id and basejump.has_role_on_account(p.account_id)
  ));
create policy "Members create tasks in projects of their accounts"
  on public.tasks for insert to authenticated
  with check (exists (
    select 1 from public.projects p
    where p.id = tasks.project_id and basejump.has_role_on_account(p.account_id)
  ));
create policy "Members edit tasks of their accounts"
  on public.tasks for update to authenticated
  using (exists (
    select 1 from public.projects p
    where p.id = tasks.project_id and basejump.has_role_on_account(p.account_id)
  ))
  with check (exists (
    select 1 from public.projects p
    where p.id = tasks.project_id and basejump.has_role_on_account(p.account_id)
  ));
create policy "Creators and owners delete tasks"
  on public.tasks for delete to authenticated
  using (exists (
    select 1 from public.projects p
    where p.id = tasks.project_id
      and (basejump.has_role_on_account(p.account_id, 'owner')
        or (tasks.created_by = (select auth.uid()) and basejump.has_role_on_account(p.account_id)))
  ));

-- documents: written inline against account_user (its own policy lets a member see the
-- memberships of their accounts). Every column is qualified: inside the subquery an
-- unqualified `account_id` would be account_user's own.
create policy "Members read the documents of their accounts"
  on public.documents for select to authenticated
  using (exists (
    select 1 from public.account_user au
    where au.account_id = documents.account_id and au.user_id = (select auth.uid())
  ));
create policy "Members write documents in their accounts as themselves"
  on public.documents for insert to authenticated
  with check (
    documents.created_by = (select auth.uid())
    and exists (
      select 1 from public.account_user au
      where au.account_id = documents.account_id and au.user_id = (select auth.uid())
    )
  );
create policy "Authors and owners edit documents"
  on public.documents for update to authenticated
  using (exists (
    select 1 from public.account_user au
    where au.account_id = documents.account_id and au.user_id = (select auth.uid())
      and (au.account_role = 'owner' or documents.created_by = (select auth.uid()))
  ))
  with check (exists (
    select 1 from public.account_user au
    where au.account_id = documents.account_id and au.user_id = (select auth.uid())
      and (au.account_role = 'owner' or documents.created_by = (select auth.uid()))
  ));
create policy "Authors and owners delete documents"
  on public.documents for delete to authenticated
  using (exists (
    select 1 from public.account_user au
    where au.account_id = documents.account_id and au.user_id = (select auth.uid())
      and (au.account_role = 'owner' or documents.created_by = (select auth.uid()))
  ));
