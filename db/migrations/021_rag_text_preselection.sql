-- Full-text candidates are pre-selected (the best max_rows of up to rank_cap chunks) by ts_rank over the English
-- words only, no longer by English plus simple. ts_rank over the simple configuration's query, which holds every
-- word of the question, "the" and "is" included, cost about a third of the stage and chose worse: measured on
-- search_bench's kept database (the golden questions as this tree's tenant; one question at 100,000 chunks):
--   golden set, full text   recall@10 0.466 -> 0.484, MRR 0.424 -> 0.441
--   golden set, hybrid      recall@10 0.633 -> 0.664, MRR 0.651 -> 0.654
--   "how is the tenant set for a transaction?", 1,891 chunks ranked: 15-16 ms -> 10-11 ms
-- The final order (ts_rank_cd over both configurations, for the pre-selected chunks) is unchanged.
CREATE OR REPLACE FUNCTION rag_text_candidates(match_english tsquery, match_simple tsquery, rank_english tsquery,
                                    rank_simple tsquery, kind_filter text, path_prefix text, rank_cap int,
                                    max_rows int)
RETURNS TABLE (doc_path text, ordinal int, score real, revision text, kind text, line_start int, line_end int,
               section text, content text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant text := current_setting('app.tenant_id', true);
  english tsquery := coalesce(rank_english, match_english);
  simple tsquery := coalesce(rank_simple, match_simple);
  -- The pre-selection ranks by the English words only (the simple configuration's when the question has none).
  quick text := CASE WHEN english IS NOT NULL THEN 'ts_rank(fts_english, $4)' ELSE 'ts_rank(fts_simple, $5)' END;
  cover text := concat_ws(' + ', CASE WHEN english IS NOT NULL THEN 'ts_rank_cd(fts_english, $4)' END,
                                 CASE WHEN simple IS NOT NULL THEN 'ts_rank_cd(fts_simple, $5)' END);
  match text := concat_ws(' OR ', CASE WHEN match_english IS NOT NULL THEN 'fts_english @@ $2' END,
                                  CASE WHEN match_simple IS NOT NULL THEN 'fts_simple @@ $3' END);
BEGIN
  IF coalesce(tenant, '') = '' THEN
    RAISE EXCEPTION 'rag_text_candidates: no tenant is set for this transaction';
  END IF;
  IF match = '' THEN
    RETURN;
  END IF;
  -- EXECUTE plans with the values at hand: a tenant's size and a word's frequency vary too much for one plan.
  -- The details are read once, for the rows returned (through ctid), not carried through the ranking.
  RETURN QUERY EXECUTE format(
    'SELECT b.doc_path, b.ordinal, b.score, c.revision, c.kind, c.line_start, c.line_end, c.section, c.content FROM ('
    '  SELECT r.doc_path, r.ordinal, r.row_id, (%s)::real AS score FROM ('
    '    SELECT m.* FROM ('
    '      SELECT doc_path, ordinal, ctid AS row_id, fts_english, fts_simple, %s AS quick FROM rag_chunks'
    '      WHERE tenant_id = $1 AND (%s) AND ($6::text IS NULL OR kind = $6) AND starts_with(doc_path, $7)'
    '      LIMIT $8) m'
    '    ORDER BY m.quick DESC, m.doc_path, m.ordinal LIMIT $9) r'
    '  ORDER BY score DESC, r.doc_path, r.ordinal LIMIT $9) b '
    'JOIN rag_chunks c ON c.ctid = b.row_id AND c.tenant_id = $1 '
    'ORDER BY b.score DESC, b.doc_path, b.ordinal', cover, quick, match)
  USING tenant, match_english, match_simple, english, simple, kind_filter, coalesce(path_prefix, ''), rank_cap,
        max_rows;
END $$;
REVOKE ALL ON FUNCTION rag_text_candidates(tsquery, tsquery, tsquery, tsquery, text, text, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag_text_candidates(tsquery, tsquery, tsquery, tsquery, text, text, int, int) TO voltedge_app;
