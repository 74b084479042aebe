-- expect-fail: function=public.org_stats(uuid) identity=alice action=call
-- expect-fail: function=public.org_stats(uuid) identity=bob action=call
-- "The dashboard is slow": the membership check goes, the numbers stay. Any signed-in user who
-- passes another organization's id reads its project count, invoice count and unpaid total:
-- the function runs as its owner, past the policies of projects and invoices.
create or replace function public.org_stats(p_org_id uuid)
returns table (projects bigint, invoices bigint, unpaid numeric)
language plpgsql stable security definer set search_path = ''
as $$
begin
  return query
    select (select count(*) from public.projects p where p.org_id = p_org_id),
           (select count(*) from public.invoices i where i.org_id = p_org_id),
           (select coalesce(sum(i.amount), 0) from public.invoices i
             where i.org_id = p_org_id and not i.paid);
end
$$;
