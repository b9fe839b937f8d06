-- Tenant offboarding (`voltedge tenant delete`, security/offboarding.h). Deleting a tenant first sets
-- deleting_at (and revokes its keys) so that no new work is accepted for it (db::enter_tenant refuses it), then
-- removes its rows, model registry entries and cached predictions, and sets deleted_at last. The tenants row
-- stays as a tombstone: the id cannot be given to a new tenant, and the tenant's audit chain (kept as the
-- governance record) still has its owner.
ALTER TABLE tenants ADD COLUMN deleting_at timestamptz, ADD COLUMN deleted_at timestamptz, ADD COLUMN deleted_by text;
