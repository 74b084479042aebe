create table public.scores (user_id uuid, points int);
alter table public.scores enable row level security;
create materialized view public.leaderboard as
  select user_id, sum(points) as total from public.scores group by user_id;
