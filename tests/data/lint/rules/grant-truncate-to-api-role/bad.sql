create table public.orders (id int);
alter table public.orders enable row level security;
grant all on table public.orders to anon, authenticated;
create table public.logs (id int);
alter table public.logs enable row level security;
grant truncate on public.logs to authenticated;
