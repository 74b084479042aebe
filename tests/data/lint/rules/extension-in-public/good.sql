create extension if not exists pg_trgm with schema extensions;
create extension citext schema extensions;
