-- Large tenants: search whose cost does not grow with the tenant's size.
--
-- 1. Approximate nearest-neighbour search. An HNSW index over the whole of rag_chunks would
-- be scanned before the tenant filter applies: a small tenant gets too few of its own rows back. Instead a
-- tenant gets an HNSW index of its own, partial on `tenant_id = '<tenant>'`, once it has enough chunks that an
-- exact scan is slow (measured: 2,000 chunks 7 ms, 5,000 16 ms, 20,000 90 ms, 100,000 455 ms). Every row of
-- such an index is the tenant's, so the graph search returns the tenant's own nearest chunks; smaller tenants
-- keep the exact scan (recall 1 by construction).
--
-- The index job calls this with its threshold, as the tenant (app.tenant_id), after indexing documents. It
-- runs as the table's owner (creating an index needs ownership; voltedge_app has none) and only for the tenant
-- of the calling transaction. CREATE INDEX (not CONCURRENTLY: a function runs inside a transaction) holds a
-- SHARE lock for the build, 2.5 minutes for 100,000 chunks on 2 cores (search_bench): searches go on, other tenants'
-- index writes wait. It happens once, when the tenant crosses the threshold; later inserts update the graph.
-- A tenant that falls below half the threshold loses its index (hysteresis: no rebuild churn at the line).
--
-- Returns what it did: 'built', 'kept' (index exists, tenant still large), 'dropped', or 'exact'.
CREATE FUNCTION rag_ann_index_name(p_tenant text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'rag_chunks_hnsw_' || left(md5(p_tenant), 16)
$$;

CREATE FUNCTION rag_maintain_ann_index(p_tenant text, p_min_chunks int) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public SET maintenance_work_mem = '512MB' AS $$
DECLARE
  index_name text := rag_ann_index_name(p_tenant);
  has_index boolean := to_regclass(index_name) IS NOT NULL;
  chunks bigint;
BEGIN
  IF p_tenant IS DISTINCT FROM current_setting('app.tenant_id', true) THEN
    RAISE EXCEPTION 'rag_maintain_ann_index: tenant % is not the tenant of this transaction', p_tenant;
  END IF;
  IF p_min_chunks < 1 THEN
    RAISE EXCEPTION 'rag_maintain_ann_index: the threshold must be at least 1 chunk, not %', p_min_chunks;
  END IF;
  SELECT count(*) INTO chunks FROM rag_chunks WHERE tenant_id = p_tenant;
  IF chunks >= p_min_chunks AND NOT has_index THEN
    -- m 24, ef_construction 128: recall@10 >= 0.99 against exact at 100,000 chunks in `make bench`
    -- (search_bench), where m 16, ef_construction 64 gave 0.95 on its hard queries.
    EXECUTE format('CREATE INDEX %I ON rag_chunks USING hnsw (embedding vector_cosine_ops) '
                   'WITH (m = 24, ef_construction = 128) WHERE tenant_id = %L', index_name, p_tenant);
    RETURN 'built';
  ELSIF has_index AND chunks < p_min_chunks / 2 THEN
    EXECUTE format('DROP INDEX %I', index_name);
    RETURN 'dropped';
  END IF;
  RETURN CASE WHEN has_index THEN 'kept' ELSE 'exact' END;
END $$;
REVOKE ALL ON FUNCTION rag_maintain_ann_index(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag_maintain_ann_index(text, int) TO voltedge_app;

-- 2. Term statistics. Full-text search ranks every chunk that holds any of the query's words; in a large
-- tenant a common word ("tenant", "model") matches tens of thousands of chunks, and reading and ranking them
-- all costs hundreds of milliseconds. rag_terms counts, per tenant and text-search configuration, how many
-- chunks hold each lexeme, so that rag/search.cpp can keep the rarer words of a query (the ones that
-- discriminate, as IDF weighs them) within a budget of chunks to rank. Kept by triggers on rag_chunks, in the
-- same transaction as the chunks, so the counts cannot drift (a cascade from rag_documents fires them too).
CREATE TABLE rag_terms (
  tenant_id text NOT NULL REFERENCES tenants,
  config    text NOT NULL CHECK (config IN ('english', 'simple')),
  lexeme    text NOT NULL,
  chunks    int NOT NULL CHECK (chunks > 0),
  PRIMARY KEY (tenant_id, config, lexeme)
);

CREATE FUNCTION rag_count_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO rag_terms (tenant_id, config, lexeme, chunks)
    SELECT tenant_id, config, lexeme, count(*) FROM (
      SELECT tenant_id, 'english' AS config, unnest(tsvector_to_array(fts_english)) AS lexeme FROM new_rows
      UNION ALL
      SELECT tenant_id, 'simple', unnest(tsvector_to_array(fts_simple)) FROM new_rows) t
    GROUP BY tenant_id, config, lexeme
    ON CONFLICT (tenant_id, config, lexeme) DO UPDATE SET chunks = rag_terms.chunks + excluded.chunks;
  ELSE
    WITH gone AS (
      SELECT tenant_id, config, lexeme, count(*) AS n FROM (
        SELECT tenant_id, 'english' AS config, unnest(tsvector_to_array(fts_english)) AS lexeme FROM old_rows
        UNION ALL
        SELECT tenant_id, 'simple', unnest(tsvector_to_array(fts_simple)) FROM old_rows) t
      GROUP BY tenant_id, config, lexeme),
    lowered AS (
      UPDATE rag_terms r SET chunks = r.chunks - g.n FROM gone g
      WHERE r.tenant_id = g.tenant_id AND r.config = g.config AND r.lexeme = g.lexeme AND r.chunks > g.n)
    DELETE FROM rag_terms r USING gone g
    WHERE r.tenant_id = g.tenant_id AND r.config = g.config AND r.lexeme = g.lexeme AND r.chunks <= g.n;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER rag_chunks_terms_insert AFTER INSERT ON rag_chunks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rag_count_terms();
CREATE TRIGGER rag_chunks_terms_delete AFTER DELETE ON rag_chunks
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rag_count_terms();

-- Counts for chunks indexed before this migration. The owner reads every tenant's chunks only while the table's
-- row-level security is not forced, inside this transaction; rag_terms gets its policy after the backfill.
ALTER TABLE rag_chunks NO FORCE ROW LEVEL SECURITY;
INSERT INTO rag_terms (tenant_id, config, lexeme, chunks)
SELECT tenant_id, config, lexeme, count(*) FROM (
  SELECT tenant_id, 'english' AS config, unnest(tsvector_to_array(fts_english)) AS lexeme FROM rag_chunks
  UNION ALL
  SELECT tenant_id, 'simple', unnest(tsvector_to_array(fts_simple)) FROM rag_chunks) t
GROUP BY tenant_id, config, lexeme;
ALTER TABLE rag_chunks FORCE ROW LEVEL SECURITY;
SELECT enable_tenant_rls('rag_terms');
GRANT SELECT, INSERT, UPDATE, DELETE ON rag_terms TO voltedge_app;
