create table public.orders (id int, owner uuid);
alter table public.orders enable row level security;
create view public.recent_orders with (security_invoker = true) as
  select o.* from public.orders o order by id desc limit 10;
create schema private;
create view private.all_orders as select * from public.orders;
