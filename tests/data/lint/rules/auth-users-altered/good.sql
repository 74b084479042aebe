create table public.profiles (
  id uuid primary key references auth.users on delete cascade,
  plan text
);
alter table public.profiles enable row level security;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();
