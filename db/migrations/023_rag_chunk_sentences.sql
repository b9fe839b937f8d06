-- The embeddings of each chunk's quotable sentences (rag/sentences.h), computed when the chunk is indexed.
--
-- The extractive composer scores the sentences of the retrieved chunks by their cosine to the question (and the
-- question's words they contain: agents/extractive.h; since 024 each is embedded under its section heading). It
-- used to embed up to eight of them per question, a few hundred tokens: on two busy cores that was 100-250 ms,
-- most of /ask's time, for sentences whose embedding never changes while their document does not. Stored here,
-- an answer embeds only its question. A sentence is found by the SHA-256 of its text (its text is in the chunk,
-- not copied here); one the composer does not find (a chunk indexed before this table, or a sentence redaction
-- changed) is embedded on the fly, as before.
CREATE TABLE rag_chunk_sentences (
  tenant_id       text NOT NULL,
  doc_path        text NOT NULL,
  ordinal         int NOT NULL,
  sentence_sha256 text NOT NULL,
  embedding       vector(384) NOT NULL,
  PRIMARY KEY (tenant_id, doc_path, ordinal, sentence_sha256),
  FOREIGN KEY (tenant_id, doc_path, ordinal) REFERENCES rag_chunks ON DELETE CASCADE
);
SELECT enable_tenant_rls('rag_chunk_sentences');
GRANT SELECT, INSERT, UPDATE, DELETE ON rag_chunk_sentences TO voltedge_app;

-- Documents indexed before this table have no stored sentences: a changed hash makes the next index run
-- replace each of them once, sentences included.
ALTER TABLE rag_documents NO FORCE ROW LEVEL SECURITY;
UPDATE rag_documents SET content_sha256 = 'indexed before 023';
ALTER TABLE rag_documents FORCE ROW LEVEL SECURITY;
