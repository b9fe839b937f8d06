#include "evaluations/retrieval_eval.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "core/error.h"
#include "evaluations/golden_file.h"
#include "rag/sources.h"

namespace voltedge::evaluations {
namespace {

// Recall counts the relevant documents (not chunks) found: a question answered by the README section and the
// code is fully recalled when a hit from each is in the top k.
struct QuestionScores {
    double recall_at_5 = 0, recall_at_10 = 0, reciprocal_rank = 0, ndcg_at_10 = 0;
};

QuestionScores score(const std::vector<rag::Hit>& hits, const GoldenQuestion& q) {
    QuestionScores s;
    std::set<std::size_t> found_at_5, found_at_10;
    double dcg = 0;
    for (std::size_t rank = 0; rank < hits.size() && rank < 10; ++rank) {
        bool gain = false;
        for (std::size_t r = 0; r < q.relevant.size(); ++r) {
            GoldenQuestion one{q.id, q.question, {q.relevant[r]}};
            if (!is_relevant(hits[rank], one)) continue;
            // A document already credited earns nothing more (nDCG over distinct relevant documents).
            if (found_at_10.insert(r).second) gain = true;
            if (rank < 5) found_at_5.insert(r);
        }
        if (gain) {
            dcg += 1 / std::log2(static_cast<double>(rank) + 2);
            if (s.reciprocal_rank == 0) s.reciprocal_rank = 1 / static_cast<double>(rank + 1);
        }
    }
    double ideal = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(q.relevant.size(), 10); ++i)
        ideal += 1 / std::log2(static_cast<double>(i) + 2);
    const auto n = static_cast<double>(q.relevant.size());
    s.recall_at_5 = found_at_5.size() / n;
    s.recall_at_10 = found_at_10.size() / n;
    s.ndcg_at_10 = ideal > 0 ? dcg / ideal : 0;
    return s;
}

}  // namespace

std::pair<int, int> find_span(const std::string& content, const std::string& from, const std::string& to) {
    std::vector<std::string_view> lines;
    for (std::size_t at = 0; at <= content.size();) {
        const auto end = std::min(content.find('\n', at), content.size());
        lines.emplace_back(content.data() + at, end - at);
        at = end + 1;
    }
    int first = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].find(from) == std::string_view::npos) continue;
        if (first != 0) throw Error(fmt::format("\"{}\" is on lines {} and {}", from, first, i + 1), "quote more of the line");
        first = static_cast<int>(i) + 1;
    }
    if (first == 0) throw Error(fmt::format("no line contains \"{}\"", from));
    if (to.empty()) return {first, first};
    for (auto i = static_cast<std::size_t>(first - 1); i < lines.size(); ++i)
        if (lines[i].find(to) != std::string_view::npos) return {first, static_cast<int>(i) + 1};
    throw Error(fmt::format("no line from {} on contains \"{}\"", first, to));
}

std::vector<GoldenQuestion> load_golden(const std::string& path, const std::string& source_root) {
    std::map<std::string, std::string> documents;
    for (auto& d : rag::project_documents(source_root)) documents[d.path] = std::move(d.content);
    auto dictionary = rag::data_dictionary();
    documents[dictionary.path] = std::move(dictionary.content);

    std::vector<GoldenQuestion> out;
    read_golden_lines(path, "retrieval.jsonl", [&](const nlohmann::json& j, int line_no) {
        if (!j.contains("relevant") || !j["relevant"].is_array()) throw Error("no relevant list");
        GoldenQuestion q{j.value("id", fmt::format("line{}", line_no)), j["question"], {}};
        for (const auto& r : j["relevant"]) {
            if (!r.is_object() || !r.contains("doc_path") || !r["doc_path"].is_string())
                throw Error("a relevant entry without doc_path");
            Relevant rel{r["doc_path"], 0, 0};
            const auto doc = documents.find(rel.doc_path);
            if (doc == documents.end()) throw Error(fmt::format("{} is not a project document", rel.doc_path));
            if (r.contains("from")) {
                if (!r["from"].is_string() || (r.contains("to") && !r["to"].is_string())) throw Error("from and to must be text");
                try {
                    std::tie(rel.line_start, rel.line_end) = find_span(doc->second, r["from"], r.value("to", ""));
                } catch (const Error& e) {
                    throw Error(fmt::format("{} in {}: {}", q.id, rel.doc_path, e.what()),
                                "edit the golden span to the document as it is now");
                }
            }
            q.relevant.push_back(rel);
        }
        out.push_back(std::move(q));
    });
    return out;
}

bool is_relevant(const rag::Hit& hit, const GoldenQuestion& q) {
    for (const auto& r : q.relevant)
        if (hit.doc_path == r.doc_path && (r.line_start == 0 || (hit.line_start <= r.line_end && hit.line_end >= r.line_start)))
            return true;
    return false;
}

RetrievalReport evaluate_retrieval(pqxx::connection& conn, const std::string& tenant, const std::vector<GoldenQuestion>& golden,
                                   const rag::Embedder& embedder) {
    RetrievalReport report;
    for (const auto& q : golden) (q.relevant.empty() ? report.unanswerable : report.answerable)++;
    struct Variant {
        rag::Mode mode;
        bool rerank;
        const char* name;
    };
    for (const auto& [mode, rerank, name] :
         {Variant{rag::Mode::fts, false, "fts"}, Variant{rag::Mode::vector, false, "vector"},
          Variant{rag::Mode::hybrid, false, "hybrid"}, Variant{rag::Mode::hybrid, true, "hybrid+rerank"}}) {
        ModeScores m;
        m.mode = name;
        for (const auto& q : golden) {
            rag::SearchQuery query;
            query.text = q.question;
            query.k = 10;
            query.mode = mode;
            query.rerank = rerank;
            const auto hits = rag::search(conn, tenant, query, embedder);
            const double top_cosine = hits.empty() ? 0 : hits.front().vector_score;
            if (q.relevant.empty()) {
                m.top_vector_score_unanswerable += top_cosine / std::max<std::size_t>(report.unanswerable, 1);
                continue;
            }
            const auto s = score(hits, q);
            const double n = static_cast<double>(report.answerable);
            m.recall_at_5 += s.recall_at_5 / n;
            m.recall_at_10 += s.recall_at_10 / n;
            m.mrr += s.reciprocal_rank / n;
            m.first_relevant_rank.push_back(s.reciprocal_rank > 0 ? static_cast<int>(std::lround(1 / s.reciprocal_rank)) : 0);
            m.ndcg_at_10 += s.ndcg_at_10 / n;
            m.top_vector_score_answerable += top_cosine / n;
        }
        report.modes.push_back(m);
    }
    return report;
}

std::string format_report(const RetrievalReport& r, const std::vector<GoldenQuestion>& golden, bool per_question) {
    std::string out = fmt::format("retrieval on {} answerable questions ({} more that no document answers)\n", r.answerable,
                                  r.unanswerable);
    out += fmt::format("  {:<13} {:>9} {:>10} {:>7} {:>8}   {:>22} {:>24}\n", "mode", "recall@5", "recall@10", "MRR", "nDCG@10",
                       "top-1 cosine, answered", "top-1 cosine, unanswered");
    for (const auto& m : r.modes)
        out += fmt::format("  {:<13} {:>9.3f} {:>10.3f} {:>7.3f} {:>8.3f}   {:>22} {:>24}\n", m.mode, m.recall_at_5,
                           m.recall_at_10, m.mrr, m.ndcg_at_10,
                           m.mode == "fts" ? "-" : fmt::format("{:.3f}", m.top_vector_score_answerable),
                           m.mode == "fts" ? "-" : fmt::format("{:.3f}", m.top_vector_score_unanswerable));
    if (!per_question) return out;
    out += "\n  rank of the first relevant hit per question (- = not in the top 10):\n  id    ";
    for (const auto& m : r.modes) out += fmt::format(" {:>13}", m.mode);
    std::size_t i = 0;
    for (const auto& q : golden) {
        if (q.relevant.empty()) continue;
        out += fmt::format("\n  {:<6}", q.id);
        for (const auto& m : r.modes)
            out += fmt::format(" {:>13}", m.first_relevant_rank[i] ? std::to_string(m.first_relevant_rank[i]) : "-");
        out += "  " + q.question.substr(0, 70);
        ++i;
    }
    return out + "\n";
}

}  // namespace voltedge::evaluations
