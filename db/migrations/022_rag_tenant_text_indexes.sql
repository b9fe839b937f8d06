-- Large tenants get full-text indexes of their own, as they get HNSW indexes (007).
--
-- The shared GIN indexes are on (tenant_id, fts_*): btree_gin makes the tenant one more key of the index, so a
-- search reads the posting list of its tenant beside those of its words and intersects them. For a tenant of
-- 100,000 chunks that list has 100,000 entries: on search_bench's database the two index scans of one question
-- took 2.5 ms of a 5.5 ms match, against 1.0 ms through GIN indexes partial on the tenant (50,000 chunks: 1.5
-- against 0.5 ms; 20,000: 0.6 against 0.25 ms). A partial index holds only the tenant's rows, so it answers for
-- no other tenant, and row-level security still applies to every row read.
--
-- Called by the index job as the tenant, like rag_maintain_ann_index, with its own threshold
-- (VOLTEDGE_TEXT_INDEX_MIN_CHUNKS); same locking, same hysteresis (dropped below half the threshold).
-- Returns 'built', 'kept', 'dropped' or 'shared' (the tenant uses the shared indexes).
CREATE FUNCTION rag_text_index_names(p_tenant text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['rag_chunks_fts_english_' || left(md5(p_tenant), 16), 'rag_chunks_fts_simple_' || left(md5(p_tenant), 16)]
$$;

CREATE FUNCTION rag_maintain_text_index(p_tenant text, p_min_chunks int) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public SET maintenance_work_mem = '512MB' AS $$
DECLARE
  names text[] := rag_text_index_names(p_tenant);
  has_index boolean := to_regclass(names[1]) IS NOT NULL AND to_regclass(names[2]) IS NOT NULL;
  chunks bigint;
BEGIN
  IF p_tenant IS DISTINCT FROM current_setting('app.tenant_id', true) THEN
    RAISE EXCEPTION 'rag_maintain_text_index: tenant % is not the tenant of this transaction', p_tenant;
  END IF;
  IF p_min_chunks < 1 THEN
    RAISE EXCEPTION 'rag_maintain_text_index: the threshold must be at least 1 chunk, not %', p_min_chunks;
  END IF;
  SELECT count(*) INTO chunks FROM rag_chunks WHERE tenant_id = p_tenant;
  IF chunks >= p_min_chunks AND NOT has_index THEN
    FOR i IN 1..2 LOOP  -- half of a pair (the other dropped by hand, say) is made again with its pair
      IF to_regclass(names[i]) IS NOT NULL THEN
        EXECUTE format('DROP INDEX %I', names[i]);
      END IF;
    END LOOP;
    EXECUTE format('CREATE INDEX %I ON rag_chunks USING gin (fts_english) WHERE tenant_id = %L', names[1], p_tenant);
    EXECUTE format('CREATE INDEX %I ON rag_chunks USING gin (fts_simple) WHERE tenant_id = %L', names[2], p_tenant);
    RETURN 'built';
  ELSIF has_index AND chunks < p_min_chunks / 2 THEN
    EXECUTE format('DROP INDEX %I', names[1]);
    EXECUTE format('DROP INDEX %I', names[2]);
    RETURN 'dropped';
  END IF;
  RETURN CASE WHEN has_index THEN 'kept' ELSE 'shared' END;
END $$;
REVOKE ALL ON FUNCTION rag_maintain_text_index(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag_maintain_text_index(text, int) TO voltedge_app;
