-- expect-fail: table=factory_app.cost_calculations identity=alice command=insert
-- INSERT on cost_calculations is revoked with the other write privileges "because the history
-- is immutable": owners can no longer record a calculation.
revoke insert, update, delete on factory_app.cost_calculations from authenticated;
