-- expect-fail: table=factory_app.audit_log identity=engineer command=select
-- Engineers are let into the audit log "to debug integrations"; it holds every profile change.
drop policy "Admins can view the audit log" on factory_app.audit_log;
create policy "Admins and engineers can view the audit log" on factory_app.audit_log
  for select to authenticated using ((select factory_private.is_admin_or_engineer()));
