#pragma once
// Retrieval quality on a golden set (evaluations/golden/<tenant>/retrieval.jsonl): for each question, the
// documents (and spans of them) that answer it, or none. A span is named by its text, not its line numbers:
// {"doc_path", "from", "to"} is the one line containing `from` through the next line containing `to`, found in
// the document as it is now, so edits elsewhere in a file do not silently move the answer. Each search mode (full text alone,
// vectors alone, hybrid) is scored with recall@5, recall@10, MRR and nDCG@10 over the answerable questions; the questions nothing
// answers show how similar the best hit still looks (what an agent must learn to abstain from).
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "rag/encoder.h"
#include "rag/search.h"

namespace voltedge::evaluations {

struct Relevant {
    std::string doc_path;
    int line_start = 0, line_end = 0;  // 0, 0: anywhere in the document
};

struct GoldenQuestion {
    std::string id, question;
    std::vector<Relevant> relevant;  // empty: no document answers it
};

// Resolves each span against the project's documents under `source_root` and the generated data dictionary.
// Throws Error naming the line for a malformed file, and the question and text for a span that is gone or
// ambiguous (edit the golden set with the documents).
std::vector<GoldenQuestion> load_golden(const std::string& path, const std::string& source_root);

// The 1-based lines [first, last] of `content` from the only line containing `from` to the next containing
// `to` (the `from` line alone when `to` is empty). Throws Error saying which text is missing or repeated.
std::pair<int, int> find_span(const std::string& content, const std::string& from, const std::string& to);

struct ModeScores {
    std::string mode;  // fts, vector, hybrid, hybrid+rerank
    double recall_at_5 = 0, recall_at_10 = 0, mrr = 0, ndcg_at_10 = 0;
    double top_vector_score_answerable = 0, top_vector_score_unanswerable = 0;  // means of the best hit's cosine
    std::vector<int> first_relevant_rank;  // per answerable question, in file order: 1-based, 0 = not in the top 10
};

struct RetrievalReport {
    std::size_t answerable = 0, unanswerable = 0;
    std::vector<ModeScores> modes;  // fts, vector, hybrid, hybrid+rerank
};

// Whether a hit answers a question: same document, and its lines overlap the span (when one is given).
bool is_relevant(const rag::Hit& hit, const GoldenQuestion& q);

RetrievalReport evaluate_retrieval(pqxx::connection& conn, const std::string& tenant, const std::vector<GoldenQuestion>& golden,
                                   const rag::Embedder& embedder);

// `per_question`: also a line per answerable question with each mode's rank of its first relevant hit.
std::string format_report(const RetrievalReport& report, const std::vector<GoldenQuestion>& golden = {},
                          bool per_question = false);

}  // namespace voltedge::evaluations
