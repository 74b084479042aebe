create foreign table public.remote_orders (id int, total numeric) server billing;
