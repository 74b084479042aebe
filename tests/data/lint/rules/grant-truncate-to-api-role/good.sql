create table public.orders (id int);
alter table public.orders enable row level security;
grant select, insert, update, delete on table public.orders to authenticated;
create table public.logs (id int);
alter table public.logs enable row level security;
grant all on public.logs to authenticated;
revoke truncate on public.logs from authenticated;
