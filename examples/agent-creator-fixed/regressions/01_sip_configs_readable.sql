-- expect-fail: table=public.sip_configs identity=bob command=select
-- "Support needs to debug SIP trunks": every signed-in user can read every SIP password.
create policy "Authenticated users can view sip configs" on public.sip_configs
  for select to authenticated using (true);
