create table public.t (id int);
create function public.f() returns int language sql as $body$ select '$bdy$' $body$;
