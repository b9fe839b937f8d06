-- Retrieval (rag/): the documents indexed for each tenant and their chunks, under the same forced row-level
-- security as every tenant table. The platform's own documents (README, code, data dictionary) are indexed
-- once per tenant rather than in a shared scope: one policy for every row and no "shared" branch that a
-- mistake could widen; the price is storage (about 1,500 chunks per tenant for this tree).
CREATE TABLE rag_documents (
  tenant_id      text NOT NULL REFERENCES tenants,
  doc_path       text NOT NULL,
  kind           text NOT NULL
                 CHECK (kind IN ('doc', 'code', 'data_dictionary', 'model_card', 'dq_report', 'backtest', 'tenant_doc')),
  revision       text NOT NULL,  -- git commit of the file, or the run it was generated from
  content_sha256 text NOT NULL,  -- an unchanged document is skipped on re-index
  chunk_count    int NOT NULL,
  indexed_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, doc_path)
);
SELECT enable_tenant_rls('rag_documents');

CREATE TABLE rag_chunks (
  tenant_id   text NOT NULL,
  doc_path    text NOT NULL,
  ordinal     int NOT NULL,
  kind        text NOT NULL,
  revision    text NOT NULL,
  line_start  int NOT NULL,
  line_end    int NOT NULL,
  section     text NOT NULL,
  content     text NOT NULL,
  -- English stems for prose; 'simple' (no stemming, no stop words) so that identifiers and exact words match
  -- as written.
  fts_english tsvector GENERATED ALWAYS AS (to_tsvector('english', section || ' ' || content)) STORED,
  fts_simple  tsvector GENERATED ALWAYS AS (to_tsvector('simple', section || ' ' || content)) STORED,
  embedding   vector(384) NOT NULL,
  PRIMARY KEY (tenant_id, doc_path, ordinal),
  FOREIGN KEY (tenant_id, doc_path) REFERENCES rag_documents ON DELETE CASCADE
);
SELECT enable_tenant_rls('rag_chunks');
CREATE INDEX rag_chunks_fts_english ON rag_chunks USING gin (fts_english);
CREATE INDEX rag_chunks_fts_simple ON rag_chunks USING gin (fts_simple);
-- No ANN index over the whole table: filtered by tenant after an HNSW scan, a small tenant gets too few rows
-- back. Vector candidates come from an exact scan of the tenant's own rows (through the primary key).

GRANT SELECT, INSERT, UPDATE, DELETE ON rag_documents, rag_chunks TO voltedge_app;
