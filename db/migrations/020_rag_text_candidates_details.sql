-- Full-text candidates come with what a hit shows (revision, kind, line span, section, text), as the vector
-- candidates do, so that a search needs no third query for its hits' details after fusion. That query, with
-- ts_headline marking the matched words in ten chunks, was about 4 ms of a 27 ms /search at 100,000 chunks,
-- after both stages (traces in Jaeger); snippets are now made in C++ (rag/snippet.cpp). The candidates are
-- chosen and ranked as in 019; only the columns returned change.
DROP FUNCTION rag_text_candidates(tsquery, tsquery, tsquery, tsquery, text, text, int, int);

CREATE FUNCTION rag_text_candidates(match_english tsquery, match_simple tsquery, rank_english tsquery,
                                    rank_simple tsquery, kind_filter text, path_prefix text, rank_cap int,
                                    max_rows int)
RETURNS TABLE (doc_path text, ordinal int, score real, revision text, kind text, line_start int, line_end int,
               section text, content text)
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
