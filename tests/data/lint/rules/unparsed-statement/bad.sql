do $$
begin
  execute 'alter table public.t enable row level security';
end
$$;
