#pragma once
// A tenant's retrieval index: documents, cut into chunks (rag/chunker.h), each chunk with its full-text
// vectors and its embedding, and the embeddings of its quotable sentences (rag/sentences.h), in rag_documents /
// rag_chunks / rag_chunk_sentences under the tenant's row-level security.
//
// A run is given the complete set of the tenant's documents: one whose content is unchanged (same SHA-256) is
// skipped, a new or changed one is replaced in one transaction of its own (so a failed run leaves every
// other document as it was, searchable), and a document indexed before but not given any more is deleted.
#include <functional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "rag/encoder.h"

namespace voltedge::rag {

struct SourceDocument {
    std::string path;      // as shown in hits, e.g. "serving/predictor.cpp" or "generated/data-dictionary.md"
    std::string kind;      // doc, code, data_dictionary, model_card, dq_report, backtest, tenant_doc
    std::string revision;  // git commit of the file's version, or the run it was generated from
    std::string content;
};

// Every kind a document may have (the table's CHECK constraint says the same).
const std::vector<std::string>& document_kinds();

struct IndexReport {
    std::size_t documents = 0, indexed = 0, unchanged = 0, removed = 0, chunks = 0;
    std::size_t sentences = 0;  // quotable sentences embedded with the chunks (rag/sentences.h)
    double seconds = 0;
};

// Called after each document indexed: documents done so far, chunks embedded so far, seconds elapsed.
using IndexProgress = std::function<void(std::size_t documents, std::size_t chunks, double seconds)>;

IndexReport index_documents(pqxx::connection& conn, const std::string& tenant, const std::vector<SourceDocument>& documents,
                            const Embedder& embedder, const IndexProgress& progress = {});

// Gives the tenant its own HNSW index once it has `min_chunks` chunks, drops it below half of that
// (db/migrations/007_rag_ann.sql says why). Returns what happened: built, kept, dropped or exact.
std::string maintain_ann_index(pqxx::connection& conn, const std::string& tenant, int min_chunks);
// The same for the tenant's own full-text (GIN) indexes (db/migrations/022 says why). Returns built, kept,
// dropped or shared.
std::string maintain_text_index(pqxx::connection& conn, const std::string& tenant, int min_chunks);

// "[0.1,0.2,...]": a vector as pgvector reads it, and back.
std::string vector_literal(const std::vector<float>& v);
std::vector<float> parse_vector_literal(const char* text);

}  // namespace voltedge::rag
