-- Full-text candidates through an index, and chunk rows read in one piece (search_bench: /search took 345 ms
-- p50 for a tenant of 100,000 chunks among 50, nearly all of it in the full-text query).
--
-- 1. Row-level security keeps every GIN index on tsvectors out of reach of the application's queries: the
--    policy's condition runs before any condition that is not LEAKPROOF, and the text-search match operator @@
--    is not, so it cannot be an index condition. The planner read all of the tenant's rows (a sequential or
--    primary-key scan) and tested each. rag_text_candidates() runs that one query for the tenant of the calling
--    transaction, and only for it, as a role that bypasses row-level security (handed to voltedge_searcher by
--    `voltedge migrate`); then the match is an index condition on the GIN index over (tenant_id, tsvector)
--    (btree_gin), which reads only the tenant's matching chunks.
-- 2. A chunk row is about 3.1 KB (embedding 1,540 bytes, two tsvectors, compressed text): past the 2 KB
--    default target, so its embedding was moved to the TOAST table and an exact scan of 1,000 chunks read
--    7,400 buffers (16 ms). With a 4,080-byte target a typical row stays whole (two rows to a page).
ALTER TABLE rag_chunks SET (toast_tuple_target = 4080);
ALTER TABLE rag_chunks NO FORCE ROW LEVEL SECURITY;
UPDATE rag_chunks SET embedding = embedding::real[]::vector;  -- a new value, so existing rows are stored whole
ALTER TABLE rag_chunks FORCE ROW LEVEL SECURITY;

DROP INDEX rag_chunks_fts_english;
DROP INDEX rag_chunks_fts_simple;
CREATE INDEX rag_chunks_fts_english ON rag_chunks USING gin (tenant_id, fts_english);
CREATE INDEX rag_chunks_fts_simple ON rag_chunks USING gin (tenant_id, fts_simple);

-- The chunks of the calling transaction's tenant (app.tenant_id, set by db::with_tenant) that match either
-- query; a NULL query is left out. At most rank_cap matching chunks are read. ts_rank (word frequencies) picks
-- the best max_rows of them and ts_rank_cd (how close together the words are; positions kept) orders those:
-- ts_rank_cd costs about 30 us a chunk for a question's half dozen words, ten times ts_rank. On the golden set
-- choosing by ts_rank was also the more accurate: full-text recall@10 0.539 against 0.496 when ts_rank_cd
-- chose from 4 x max_rows (hybrid 0.680 against 0.649). The SQL is fixed: callers pass values, never text that
-- becomes SQL, and no argument names a tenant.
CREATE FUNCTION rag_text_candidates(english tsquery, simple tsquery, kind_filter text, path_prefix text,
                                    rank_cap int, max_rows int)
RETURNS TABLE (doc_path text, ordinal int, score real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant text := current_setting('app.tenant_id', true);
  quick text := concat_ws(' + ', CASE WHEN english IS NOT NULL THEN 'ts_rank(fts_english, $2)' END,
                                 CASE WHEN simple IS NOT NULL THEN 'ts_rank(fts_simple, $3)' END);
  cover text := concat_ws(' + ', CASE WHEN english IS NOT NULL THEN 'ts_rank_cd(fts_english, $2)' END,
                                 CASE WHEN simple IS NOT NULL THEN 'ts_rank_cd(fts_simple, $3)' END);
  match text := concat_ws(' OR ', CASE WHEN english IS NOT NULL THEN 'fts_english @@ $2' END,
                                  CASE WHEN simple IS NOT NULL THEN 'fts_simple @@ $3' END);
BEGIN
  IF coalesce(tenant, '') = '' THEN
    RAISE EXCEPTION 'rag_text_candidates: no tenant is set for this transaction';
  END IF;
  IF match = '' THEN
    RETURN;
  END IF;
  -- EXECUTE plans with the values at hand: a tenant's size and a word's frequency vary too much for one plan.
  RETURN QUERY EXECUTE format(
    'SELECT b.doc_path, b.ordinal, (%s)::real AS score FROM ('
    '  SELECT m.* FROM ('
    '    SELECT doc_path, ordinal, fts_english, fts_simple, %s AS quick FROM rag_chunks'
    '    WHERE tenant_id = $1 AND (%s) AND ($4::text IS NULL OR kind = $4) AND starts_with(doc_path, $5)'
    '    LIMIT $6) m'
    '  ORDER BY m.quick DESC, m.doc_path, m.ordinal LIMIT $7) b '
    'ORDER BY score DESC, b.doc_path, b.ordinal LIMIT $7', cover, quick, match)
  USING tenant, english, simple, kind_filter, coalesce(path_prefix, ''), rank_cap, max_rows;
END $$;
REVOKE ALL ON FUNCTION rag_text_candidates(tsquery, tsquery, text, text, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag_text_candidates(tsquery, tsquery, text, text, int, int) TO voltedge_app;
