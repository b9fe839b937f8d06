-- Full-text candidates chosen by a query's rare words, ranked by all of them (search_bench: /search p50 was
-- 42 ms for a tenant of 5,000 chunks and 24 ms at 100,000, nearly all of it ranking chunks).
--
-- Until now one query per configuration both chose the chunks to rank and ranked them. A tenant of up to 6,000
-- chunks ranked every chunk holding any word of the question, "the" and "is" included: about 3,700 of 5,000
-- chunks read and ranked for "How is the tenant set for a transaction?" (17 ms). Leaving the common words out
-- of that query made it cheap but cost accuracy, because they help rank phrases. So the two jobs are split:
-- the match queries (rarest words within a budget of chunks, rag/search.cpp) choose which chunks are read,
-- through the GIN indexes, and the rank queries (every word of the question the tenant has) order them. A NULL
-- rank query ranks by its match query; a NULL match query is left out of the match. The rest is as in 008.
DROP FUNCTION rag_text_candidates(tsquery, tsquery, text, text, int, int);

CREATE FUNCTION rag_text_candidates(match_english tsquery, match_simple tsquery, rank_english tsquery,
                                    rank_simple tsquery, kind_filter text, path_prefix text, rank_cap int,
                                    max_rows int)
RETURNS TABLE (doc_path text, ordinal int, score real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  tenant text := current_setting('app.tenant_id', true);
  english tsquery := coalesce(rank_english, match_english);
  simple tsquery := coalesce(rank_simple, match_simple);
  quick text := concat_ws(' + ', CASE WHEN english IS NOT NULL THEN 'ts_rank(fts_english, $4)' END,
                                 CASE WHEN simple IS NOT NULL THEN 'ts_rank(fts_simple, $5)' END);
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
  RETURN QUERY EXECUTE format(
    'SELECT b.doc_path, b.ordinal, (%s)::real AS score FROM ('
    '  SELECT m.* FROM ('
    '    SELECT doc_path, ordinal, fts_english, fts_simple, %s AS quick FROM rag_chunks'
    '    WHERE tenant_id = $1 AND (%s) AND ($6::text IS NULL OR kind = $6) AND starts_with(doc_path, $7)'
    '    LIMIT $8) m'
    '  ORDER BY m.quick DESC, m.doc_path, m.ordinal LIMIT $9) b '
    'ORDER BY score DESC, b.doc_path, b.ordinal LIMIT $9', cover, quick, match)
  USING tenant, match_english, match_simple, english, simple, kind_filter, coalesce(path_prefix, ''), rank_cap,
        max_rows;
END $$;
REVOKE ALL ON FUNCTION rag_text_candidates(tsquery, tsquery, tsquery, tsquery, text, text, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag_text_candidates(tsquery, tsquery, tsquery, tsquery, text, text, int, int) TO voltedge_app;
