create table public.t (id int);
alter table public.t enable row level security;
create function public.f() returns int language sql as $body$ select 1 $bdy$;
