#pragma once
// Hybrid search over a tenant's chunks: full-text candidates (ts_rank_cd over English stems and exact words)
// and vector candidates (cosine distance to the query's embedding, exact over the tenant's rows), fused by
// reciprocal rank fusion (k = 60, the default) or by a weighted sum of min-max normalised scores.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/error.h"
#include "rag/encoder.h"

namespace voltedge::rag {

// A query that cannot be run as given; `field` names the part at fault (q, k, kind, fusion, ...).
class BadQuery : public FieldError {
public:
    using FieldError::FieldError;
};

enum class Fusion { rrf, weighted };
// Which candidates are used: both (the default), or one alone (to measure what each contributes).
enum class Mode { hybrid, fts, vector };

struct SearchQuery {
    std::string text;
    int k = 10;                       // 1..50
    std::optional<std::string> kind;  // one of document_kinds()
    std::string path_prefix;          // only documents whose path starts with it
    Fusion fusion = Fusion::rrf;
    Mode mode = Mode::hybrid;
    double fts_weight = 0.5, vector_weight = 0.5;  // for Fusion::weighted
    int candidates = 50;                           // per component, before fusion
    bool rerank = false;        // re-order the top fused hits by exact matches (identifiers, file names, phrases)
    bool exact = false;         // vector candidates by an exact scan even where the tenant has an ANN index
    bool with_content = false;  // each hit carries its chunk's whole text (the agent quotes from it)
};

inline constexpr int kMaxK = 50;
inline constexpr std::size_t kMaxQueryChars = 1000;

struct Hit {
    std::string doc_path, revision, kind, section, snippet;  // snippet: the matched terms between « and »
    std::string content;                                     // the chunk's text, with SearchQuery::with_content
    int ordinal = 0;  // the chunk's place in its document: (doc_path, ordinal) names one chunk
    int line_start = 0, line_end = 0;
    double fts_score = 0, vector_score = 0, score = 0;  // vector_score: cosine similarity
    int fts_rank = 0, vector_rank = 0;                  // 1-based; 0 = not among that component's candidates
};

// Throws BadQuery for an empty or too long query, k out of range, an unknown kind or a negative weight.
void validate(const SearchQuery& query);

// `vector_conn`, when given, is a second connection: the vector stage runs on it, in a transaction of its own,
// while the full-text stage runs on `conn` (search_bench: a third off a search's time). Without it the stages run
// one after the other on `conn`. Either way the query is embedded while the full-text stage runs; the embedding
// is copied to `*query_embedding` when given (the agent scores sentences against it).
std::vector<Hit> search(pqxx::connection& conn, const std::string& tenant, const SearchQuery& query, const Embedder& embedder,
                        pqxx::connection* vector_conn = nullptr, std::vector<float>* query_embedding = nullptr);

// From now on a share `ratio` of searches (0: none) also run their vector stage exactly, on a thread and a
// connection of their own, to measure the ANN index's recall. Called once by the API at start-up
// (VOLTEDGE_ANN_RECALL_SAMPLE_RATIO).
void start_ann_recall_sampling(double ratio, const std::string& database_url);

// The same with the query's embedding given (the text still drives full text and snippets).
std::vector<Hit> search(pqxx::connection& conn, const std::string& tenant, const SearchQuery& query,
                        const std::vector<float>& query_embedding);

}  // namespace voltedge::rag
