-- Tamper-evident audit log: each tenant's audit rows form a hash chain, and the chain's head is kept where the
-- application cannot write, so that a row changed or deleted by anyone who got past the grants (the application
-- role may only SELECT and INSERT audit_log) is found by `voltedge audit verify` (security/audit.h).
--
-- The hashed content of a row, byte for byte (security/audit.h says the same; both must change together):
--
--   row_hash = lowercase hex SHA-256 of the UTF-8 bytes of
--     'voltedge-audit-v1' || F(tenant_id) || F(id) || F(actor) || F(action) || F(details) || F(created_at) || F(prev_hash)
--   where F(x) = <length of x in bytes, decimal> ':' x ';'   (length-prefixed, so no field can run into the next)
--     id         the bigint in decimal
--     details    the jsonb value's text form (details::text: PostgreSQL's canonical jsonb output, keys ordered)
--     created_at microseconds since 1970-01-01 00:00:00 UTC, decimal (time zone settings do not enter)
--     prev_hash  row_hash of the tenant's previous row; 64 '0' for the tenant's first row (the genesis value)
--
-- The chain runs in id order within a tenant. The trigger takes the id itself, after the tenant's lock: ids
-- given out by the column default before the lock would let two concurrent inserts link in one order and sort
-- in the other. So the column has no default any more (an insert that bypassed the trigger fails).

ALTER TABLE audit_log ADD COLUMN prev_hash text, ADD COLUMN row_hash text;
ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT;

-- Each tenant's chain head: the last row's id and hash, and how many rows the chain has. Written only by the
-- trigger below (the application role may read its tenant's row); deleting the newest audit rows leaves a head
-- that no longer matches the last row.
CREATE TABLE audit_heads (
  tenant_id  text PRIMARY KEY,
  last_id    bigint NOT NULL,
  last_hash  text NOT NULL,
  rows       bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit_row_hash(p_tenant text, p_id bigint, p_actor text, p_action text, p_details jsonb,
                               p_created_at timestamptz, p_prev_hash text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog AS $$
  SELECT encode(sha256(convert_to(
    'voltedge-audit-v1' ||
    octet_length(p_tenant) || ':' || p_tenant || ';' ||
    octet_length(p_id::text) || ':' || p_id::text || ';' ||
    octet_length(p_actor) || ':' || p_actor || ';' ||
    octet_length(p_action) || ':' || p_action || ';' ||
    octet_length(p_details::text) || ':' || p_details::text || ';' ||
    octet_length(((extract(epoch FROM p_created_at) * 1000000)::bigint)::text) || ':' ||
      ((extract(epoch FROM p_created_at) * 1000000)::bigint)::text || ';' ||
    octet_length(p_prev_hash) || ':' || p_prev_hash || ';', 'UTF8')), 'hex')
$$;

-- Existing rows, chained per tenant in id order. The owner reads every tenant's rows only while the policy is
-- not forced, inside this transaction.
ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY;
DO $$
DECLARE
  r record;
  tenant text;
  prev text;
BEGIN
  FOR r IN SELECT id, tenant_id, actor, action, details, created_at FROM audit_log ORDER BY tenant_id, id LOOP
    IF tenant IS DISTINCT FROM r.tenant_id THEN
      tenant := r.tenant_id;
      prev := repeat('0', 64);
    END IF;
    UPDATE audit_log SET prev_hash = prev,
                         row_hash = audit_row_hash(r.tenant_id, r.id, r.actor, r.action, r.details, r.created_at, prev)
      WHERE id = r.id RETURNING row_hash INTO prev;
  END LOOP;
END $$;
INSERT INTO audit_heads (tenant_id, last_id, last_hash, rows)
SELECT DISTINCT ON (tenant_id) tenant_id, id, row_hash, count(*) OVER (PARTITION BY tenant_id)
  FROM audit_log ORDER BY tenant_id, id DESC;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN row_hash SET NOT NULL;
SELECT enable_tenant_rls('audit_heads');

-- Links each new row to its tenant's chain. SECURITY DEFINER, handed by `voltedge migrate` to voltedge_auditor
-- (BYPASSRLS; may read audit_log, write audit_heads and draw audit ids, nothing else): the link must be right
-- whoever inserts, whatever tenant the transaction names. Inserts of one tenant are serialised by a transaction
-- advisory lock on the tenant, held until commit, so the next insert reads the head this one wrote; other
-- tenants do not wait (apart from a rare hashtext collision). search_path is pinned and every name qualified,
-- so no object a caller creates can stand in for ours.
CREATE FUNCTION audit_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  head public.audit_heads%ROWTYPE;
BEGIN
  PERFORM pg_advisory_xact_lock(1635083369, hashtext(NEW.tenant_id));  -- 1635083369 = 'audi'
  SELECT * INTO head FROM public.audit_heads WHERE tenant_id = NEW.tenant_id;
  NEW.id := nextval('public.audit_log_id_seq');
  NEW.details := coalesce(NEW.details, '{}'::jsonb);
  NEW.created_at := coalesce(NEW.created_at, now());
  NEW.prev_hash := coalesce(head.last_hash, repeat('0', 64));
  NEW.row_hash := public.audit_row_hash(NEW.tenant_id, NEW.id, NEW.actor, NEW.action, NEW.details, NEW.created_at,
                                        NEW.prev_hash);
  INSERT INTO public.audit_heads AS h (tenant_id, last_id, last_hash, rows)
    VALUES (NEW.tenant_id, NEW.id, NEW.row_hash, 1)
    ON CONFLICT (tenant_id) DO UPDATE
      SET last_id = excluded.last_id, last_hash = excluded.last_hash, rows = h.rows + 1, updated_at = now();
  RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION audit_chain_link() FROM PUBLIC;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_chain_link();

GRANT SELECT ON audit_log, audit_heads TO voltedge_auditor;
GRANT INSERT, UPDATE ON audit_heads TO voltedge_auditor;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO voltedge_auditor;
GRANT SELECT ON audit_heads TO voltedge_app;
