create table public.scores (user_id uuid, points int);
alter table public.scores enable row level security;
create schema private;
create materialized view private.leaderboard as
  select user_id, sum(points) as total from public.scores group by user_id;
create materialized view public.stats as select count(*) from public.scores;
revoke select on public.stats from anon, authenticated;
