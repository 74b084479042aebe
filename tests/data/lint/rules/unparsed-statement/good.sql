create table public.t (id int);
alter table public.t enable row level security;
alter default privileges in schema public revoke all on tables from anon;
revoke all on function public.f() from public, anon;
