-- expect-fail: table=factory_app.cost_calculations identity=bob command=select
-- RLS is disabled on cost_calculations for a reporting job: everyone's costs are visible.
alter table factory_app.cost_calculations disable row level security;
