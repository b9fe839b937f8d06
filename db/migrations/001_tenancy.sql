-- Tenancy: tenants, API keys, the append-only audit log, and the one helper every tenant-owned table uses.
-- Runs as voltedge_owner (the migration runner sets the role).

-- Row-level security for a tenant-owned table: enabled AND forced (so the owner obeys it too), one policy
-- that reads the tenant from the transaction-local setting app.tenant_id; unset means no rows at all.
CREATE FUNCTION enable_tenant_rls(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = current_setting(''app.tenant_id'', true)) '
                 'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', tbl);
END $$;

CREATE TABLE tenants (
  tenant_id  text PRIMARY KEY CHECK (tenant_id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_rls('tenants');

-- Only a SHA-256 of each key is stored; the key itself is shown once when created.
CREATE TABLE api_keys (
  key_id     text PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES tenants,
  key_hash   text NOT NULL UNIQUE,
  is_admin   boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
SELECT enable_tenant_rls('api_keys');

-- Resolving a key to its tenant happens before any tenant is known, so it cannot run under the tenant
-- policy. This narrow SECURITY DEFINER function is the only way around it: given a hash, it returns that
-- one key's tenant. The migration runner hands it to voltedge_key_resolver, whose only privilege is
-- reading api_keys.
CREATE FUNCTION resolve_api_key(hash text)
RETURNS TABLE (tenant_id text, key_id text, is_admin boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT k.tenant_id, k.key_id, k.is_admin FROM api_keys k WHERE k.key_hash = hash AND k.revoked_at IS NULL
$$;
REVOKE ALL ON FUNCTION resolve_api_key(text) FROM PUBLIC;

CREATE TABLE audit_log (
  id         bigserial PRIMARY KEY,
  tenant_id  text NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  details    jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
SELECT enable_tenant_rls('audit_log');

GRANT SELECT ON tenants TO voltedge_app;
GRANT SELECT ON api_keys TO voltedge_app;
GRANT EXECUTE ON FUNCTION resolve_api_key(text) TO voltedge_app;
-- Append-only: the application may add audit rows, never change or remove them.
GRANT SELECT, INSERT ON audit_log TO voltedge_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO voltedge_app;
