create schema private;
create foreign table private.remote_orders (id int, total numeric) server billing;
