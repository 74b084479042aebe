create extension if not exists pg_trgm;
create extension citext with schema public;
