alter table auth.users add column plan text;
ALTER TABLE "auth"."users" ENABLE ROW LEVEL SECURITY;
alter table storage.objects add column tag text;
