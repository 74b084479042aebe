-- expect-fail: function=public.mark_invoice_paid(uuid) identity=bob action=call
-- expect-fail: function=public.mark_invoice_paid(uuid) identity=alice action=call
-- The owner check moves "to the client": any signed-in user marks any organization's invoice
-- paid (bob another organization's, alice, a plain member, her own organization's).
create or replace function public.mark_invoice_paid(p_invoice_id uuid)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  update public.invoices i set paid = true where i.id = p_invoice_id;
end
$$;
