create table public.todos (id int, owner uuid);
alter table public.todos enable row level security;
