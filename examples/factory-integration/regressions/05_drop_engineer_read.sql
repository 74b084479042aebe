-- expect-fail: table=factory_app.integration_configs identity=engineer command=select
-- The read policy is narrowed to admins while cleaning up: engineers can no longer see the
-- integrations they maintain.
drop policy "Admins and engineers can view integrations" on factory_app.integration_configs;
create policy "Admins can view integrations" on factory_app.integration_configs
  for select to authenticated using ((select factory_private.is_admin()));
