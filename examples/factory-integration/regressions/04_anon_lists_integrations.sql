-- expect-fail: table=factory_app.integration_configs identity=anon command=select
-- A status page needs the integration list: anon is granted SELECT and a policy without TO
-- opens every row, endpoint URLs and credentials in `config` included.
grant usage on schema factory_app to anon;
grant select on factory_app.integration_configs to anon;
create policy "Status page can list integrations" on factory_app.integration_configs
  for select using (true);
