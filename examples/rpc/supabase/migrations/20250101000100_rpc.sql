-- The RPCs the client calls.

-- Dashboard numbers of one organization, for its members.
-- rlsgate-ignore security-definer-executable: it counts rows members may not all read, and asks private.is_member first
create function public.org_stats(p_org_id uuid)
returns table (projects bigint, invoices bigint, unpaid numeric)
language plpgsql stable security definer set search_path = ''
as $$
begin
  if not private.is_member(p_org_id) then
    raise exception 'not a member of this organization' using errcode = '42501';
  end if;
  return query
    select (select count(*) from public.projects p where p.org_id = p_org_id),
           (select count(*) from public.invoices i where i.org_id = p_org_id),
           (select coalesce(sum(i.amount), 0) from public.invoices i
             where i.org_id = p_org_id and not i.paid);
end
$$;

-- Owners mark their organization's invoices paid: the one way an invoice changes.
-- rlsgate-ignore security-definer-executable: invoices have no UPDATE policy; it asks private.is_owner first
create function public.mark_invoice_paid(p_invoice_id uuid)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  update public.invoices i set paid = true
   where i.id = p_invoice_id and private.is_owner(i.org_id);
  if not found then
    raise exception 'no such invoice, or not an owner of its organization' using errcode = '42501';
  end if;
end
$$;

revoke execute on function public.org_stats(uuid) from public, anon;
revoke execute on function public.mark_invoice_paid(uuid) from public, anon;
grant execute on function public.org_stats(uuid) to authenticated;
grant execute on function public.mark_invoice_paid(uuid) to authenticated;

-- Search by name, as the caller (the policies decide which projects it sees); the term is
-- quoted by format's %L.
create function public.search_projects(term text)
returns setof public.projects
language plpgsql stable security invoker set search_path = ''
as $$
begin
  return query execute format('select * from public.projects where name ilike %L', '%' || term || '%');
end
$$;

-- Names of an organization's projects, as the caller.
create function public.project_names(p_org_id uuid)
returns setof text
language sql stable security invoker set search_path = ''
as $$
  select p.name from public.projects p where p.org_id = p_org_id order by p.name
$$;

-- Unpaid totals of every organization, for the back office (service role only).
create function public.admin_report()
returns table (org_id uuid, unpaid numeric)
language sql stable security definer set search_path = ''
as $$
  select i.org_id, sum(i.amount) from public.invoices i where not i.paid group by i.org_id
$$;

revoke execute on function public.admin_report() from public, anon, authenticated;
