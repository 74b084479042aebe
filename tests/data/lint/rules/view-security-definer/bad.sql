create table public.orders (id int, owner uuid);
alter table public.orders enable row level security;
create view public.recent_orders as
  select o.* from public.orders o order by id desc limit 10;
