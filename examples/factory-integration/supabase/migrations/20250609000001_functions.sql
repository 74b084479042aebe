-- calculate_total_cost, set_updated_at and the create_audit_log trigger.
create function factory_app.calculate_total_cost(
  material_cost numeric,
  labor_cost numeric,
  overhead_rate numeric
)
returns numeric
language sql
immutable
set search_path = ''
as $$
  select round((coalesce(material_cost, 0) + coalesce(labor_cost, 0))
    * (1 + coalesce(overhead_rate, 0)), 2);
$$;

create function factory_app.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

create function factory_app.fill_total_cost()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.total_cost := factory_app.calculate_total_cost(
    new.material_cost, new.labor_cost, new.overhead_rate);
  return new;
end;
$$;

-- Writes the audit trail. SECURITY DEFINER because nobody but its owner may insert into
-- audit_log; it records the acting user from the JWT.
create function factory_app.create_audit_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into factory_app.audit_log (actor_id, action, table_name, record_id, old_data, new_data)
  values (
    auth.uid(),
    tg_op::factory_app.audit_action,
    tg_table_name,
    coalesce(to_jsonb(new) ->> 'id', to_jsonb(old) ->> 'id'),
    case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end,
    case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end
  );
  return coalesce(new, old);
end;
$$;

revoke execute on function factory_app.create_audit_log() from public;

create trigger user_profiles_set_updated_at before update on factory_app.user_profiles
  for each row execute function factory_app.set_updated_at();
create trigger integration_configs_set_updated_at before update on factory_app.integration_configs
  for each row execute function factory_app.set_updated_at();
create trigger data_mappings_set_updated_at before update on factory_app.data_mappings
  for each row execute function factory_app.set_updated_at();
create trigger cost_calculations_fill_total before insert or update on factory_app.cost_calculations
  for each row execute function factory_app.fill_total_cost();

create trigger user_profiles_audit after insert or update or delete on factory_app.user_profiles
  for each row execute function factory_app.create_audit_log();
create trigger integration_configs_audit
  after insert or update or delete on factory_app.integration_configs
  for each row execute function factory_app.create_audit_log();
create trigger data_mappings_audit after insert or update or delete on factory_app.data_mappings
  for each row execute function factory_app.create_audit_log();
