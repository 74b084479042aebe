-- Active integrations. security_invoker: readers see only the integrations the policies on
-- integration_configs let them see (a plain view would run with its owner's rights and
-- bypass RLS). Read-only through the API: write privileges are revoked in the RLS migration.
create view factory_app.active_integrations
with (security_invoker = true)
as
select ic.id, ic.name, ic.type, ic.endpoint_url, ic.created_by, ic.updated_at
from factory_app.integration_configs ic
where ic.status = 'active';
