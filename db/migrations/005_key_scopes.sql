-- Key scopes. A tenant key forecasts and explains for its own tenant; a tenant-admin key (api_keys.is_admin)
-- may also reload its own tenant's model; a platform-operator key belongs to no tenant: it may reload any
-- tenant and read the detailed /metrics and /readyz. Operator keys are made only by `voltedge operator key`
-- with the administrative login: the application role can neither read nor write them.
CREATE TABLE operator_keys (
  key_id     text PRIMARY KEY,
  key_hash   text NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
-- Enabled with no policy: nobody but the table's owner (and the BYPASSRLS key resolver) sees a row.
ALTER TABLE operator_keys ENABLE ROW LEVEL SECURITY;

-- Replaces resolve_api_key (dropped by the migration runner, which owns it): one key's tenant and scope,
-- for tenant keys and operator keys alike (tenant_id NULL for an operator).
CREATE FUNCTION resolve_key(hash text)
RETURNS TABLE (tenant_id text, key_id text, scope text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT k.tenant_id, k.key_id, CASE WHEN k.is_admin THEN 'tenant_admin' ELSE 'tenant' END
    FROM api_keys k WHERE k.key_hash = hash AND k.revoked_at IS NULL
  UNION ALL
  SELECT NULL, o.key_id, 'operator' FROM operator_keys o WHERE o.key_hash = hash AND o.revoked_at IS NULL
$$;
REVOKE ALL ON FUNCTION resolve_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION resolve_key(text) TO voltedge_app;
