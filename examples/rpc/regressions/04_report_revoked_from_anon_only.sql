-- expect-fail: function=public.admin_report() identity=anon
-- expect-fail: function=public.admin_report() identity=alice
-- admin_report is recreated (a new column order) and locked down again, from anon and
-- authenticated only: a new function's EXECUTE belongs to PUBLIC, and every role is in PUBLIC.
-- Visitors and users call the back-office report and read every organization's unpaid total.
drop function public.admin_report();
create function public.admin_report()
returns table (unpaid numeric, org_id uuid)
language sql stable security definer set search_path = ''
as $$
  select sum(i.amount), i.org_id from public.invoices i where not i.paid group by i.org_id
$$;
revoke execute on function public.admin_report() from anon, authenticated;
