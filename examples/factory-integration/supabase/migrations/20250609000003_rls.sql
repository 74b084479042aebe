-- API access and row level security for factory_app.
--   user_profiles        read: self or admin        write: self or admin
--   cost_calculations    read: owner or admin       write: owner, by INSERT only
--   integration_configs  read: admin or engineer    write: admin
--   audit_log            read: admin                write: none (create_audit_log trigger)
-- data_mappings follow their integration; integration_jobs are readable like integrations
-- and may be started by engineers.

-- Role lookups bypass RLS on user_profiles (a policy on user_profiles that read
-- user_profiles would recurse). They live outside the exposed schemas.
create schema if not exists factory_private;
grant usage on schema factory_private to authenticated, service_role;

create function factory_private.current_user_role()
returns factory_app.user_role
language sql
stable
security definer
set search_path = ''
as $$
  select p.role from factory_app.user_profiles p where p.id = (select auth.uid());
$$;

create function factory_private.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(factory_private.current_user_role() = 'admin', false);
$$;

create function factory_private.is_admin_or_engineer()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(factory_private.current_user_role() in ('admin', 'engineer'), false);
$$;

revoke execute on all functions in schema factory_private from public;
grant execute on all functions in schema factory_private to authenticated, service_role;

-- The schema is exposed through supabase/config.toml. Only signed-in users get table
-- privileges; anon gets nothing in factory_app.
grant usage on schema factory_app to authenticated, service_role;
grant select, insert, update, delete on all tables in schema factory_app to authenticated;
grant all on all tables in schema factory_app to service_role;
grant usage, select on all sequences in schema factory_app to service_role;
grant execute on function factory_app.calculate_total_cost(numeric, numeric, numeric)
  to authenticated, service_role;
revoke insert, update, delete on factory_app.active_integrations from authenticated;

alter table factory_app.user_profiles enable row level security;
alter table factory_app.cost_calculations enable row level security;
alter table factory_app.integration_configs enable row level security;
alter table factory_app.data_mappings enable row level security;
alter table factory_app.integration_jobs enable row level security;
alter table factory_app.audit_log enable row level security;

-- user_profiles: self or admin. A user edits their own profile but cannot change their role.
create policy "Self or admin can view profiles" on factory_app.user_profiles
  for select to authenticated
  using ((select auth.uid()) = id or (select factory_private.is_admin()));
create policy "Self or admin can create profiles" on factory_app.user_profiles
  for insert to authenticated
  with check (
    ((select auth.uid()) = id and role = 'viewer') or (select factory_private.is_admin())
  );
create policy "Self or admin can update profiles" on factory_app.user_profiles
  for update to authenticated
  using ((select auth.uid()) = id or (select factory_private.is_admin()))
  with check (
    ((select auth.uid()) = id and role = (select factory_private.current_user_role()))
    or (select factory_private.is_admin())
  );
create policy "Self or admin can delete profiles" on factory_app.user_profiles
  for delete to authenticated
  using ((select auth.uid()) = id or (select factory_private.is_admin()));

-- cost_calculations: an immutable history.
create policy "Owner or admin can view calculations" on factory_app.cost_calculations
  for select to authenticated
  using ((select auth.uid()) = user_id or (select factory_private.is_admin()));
create policy "Owners can record calculations" on factory_app.cost_calculations
  for insert to authenticated
  with check ((select auth.uid()) = user_id);

-- integration_configs
create policy "Admins and engineers can view integrations" on factory_app.integration_configs
  for select to authenticated using ((select factory_private.is_admin_or_engineer()));
create policy "Admins can create integrations" on factory_app.integration_configs
  for insert to authenticated with check ((select factory_private.is_admin()));
create policy "Admins can update integrations" on factory_app.integration_configs
  for update to authenticated
  using ((select factory_private.is_admin())) with check ((select factory_private.is_admin()));
create policy "Admins can delete integrations" on factory_app.integration_configs
  for delete to authenticated using ((select factory_private.is_admin()));

-- data_mappings
create policy "Admins and engineers can view mappings" on factory_app.data_mappings
  for select to authenticated using ((select factory_private.is_admin_or_engineer()));
create policy "Admins can create mappings" on factory_app.data_mappings
  for insert to authenticated with check ((select factory_private.is_admin()));
create policy "Admins can update mappings" on factory_app.data_mappings
  for update to authenticated
  using ((select factory_private.is_admin())) with check ((select factory_private.is_admin()));
create policy "Admins can delete mappings" on factory_app.data_mappings
  for delete to authenticated using ((select factory_private.is_admin()));

-- integration_jobs: engineers start jobs as themselves; admins manage them all.
create policy "Admins and engineers can view jobs" on factory_app.integration_jobs
  for select to authenticated using ((select factory_private.is_admin_or_engineer()));
create policy "Engineers can start jobs" on factory_app.integration_jobs
  for insert to authenticated
  with check (
    (select factory_private.is_admin())
    or ((select factory_private.is_admin_or_engineer()) and (select auth.uid()) = triggered_by)
  );
create policy "Admins can update jobs" on factory_app.integration_jobs
  for update to authenticated
  using ((select factory_private.is_admin())) with check ((select factory_private.is_admin()));
create policy "Admins can delete jobs" on factory_app.integration_jobs
  for delete to authenticated using ((select factory_private.is_admin()));

-- audit_log: admins read; nobody writes except the trigger.
create policy "Admins can view the audit log" on factory_app.audit_log
  for select to authenticated using ((select factory_private.is_admin()));
