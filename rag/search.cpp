#include "rag/search.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "db/connection.h"
#include "rag/index.h"

namespace voltedge::rag {
namespace {

constexpr double kRrfK = 60;

struct Candidate {
    std::string doc_path;
    int ordinal = 0;
    double score = 0;
};

// Any of the query's words, not all of them: a question rarely contains every word of its answer. The words
// are ORed and ts_rank_cd ranks chunks holding more of them, closer together, higher.
std::string any_word(const char* config) {
    return fmt::format("replace(plainto_tsquery('{}', $1)::text, ' & ', ' | ')::tsquery", config);
}

std::string filters(pqxx::transaction_base& tx, const SearchQuery& q) {
    std::string where;
    if (q.kind) where += " AND kind = " + tx.quote(*q.kind);
    if (!q.path_prefix.empty()) where += " AND starts_with(doc_path, " + tx.quote(q.path_prefix) + ")";
    return where;
}

std::vector<Candidate> fts_candidates(pqxx::transaction_base& tx, const std::string& tenant, const SearchQuery& q) {
    const std::string sql =
        fmt::format("WITH q AS (SELECT {} AS english, {} AS simple) "
                    "SELECT doc_path, ordinal, ts_rank_cd(fts_english, q.english) + ts_rank_cd(fts_simple, q.simple) AS score "
                    "FROM rag_chunks, q WHERE tenant_id = $2 AND (fts_english @@ q.english OR fts_simple @@ q.simple){} "
                    "ORDER BY score DESC, doc_path, ordinal LIMIT $3",
                    any_word("english"), any_word("simple"), filters(tx, q));
    std::vector<Candidate> out;
    for (const auto& row : tx.exec_params(sql, q.text, tenant, q.candidates))
        out.push_back({row[0].as<std::string>(), row[1].as<int>(), row[2].as<double>()});
    return out;
}

// Exact: the tenant's rows through the primary key, every distance computed. No ANN index serves this query
// (see db/migrations/006_rag.sql), so what comes back is the true nearest chunks.
std::vector<Candidate> vector_candidates(pqxx::transaction_base& tx, const std::string& tenant, const SearchQuery& q,
                                         const std::string& embedding) {
    const std::string sql =
        fmt::format("SELECT doc_path, ordinal, 1 - (embedding <=> $1::vector) AS score FROM rag_chunks WHERE tenant_id = $2{} "
                    "ORDER BY embedding <=> $1::vector, doc_path, ordinal LIMIT $3",
                    filters(tx, q));
    std::vector<Candidate> out;
    for (const auto& row : tx.exec_params(sql, embedding, tenant, q.candidates))
        out.push_back({row[0].as<std::string>(), row[1].as<int>(), row[2].as<double>()});
    return out;
}

using Key = std::pair<std::string, int>;

// Scores in [0, 1] by min-max over the candidates (all equal: 1).
std::map<Key, double> normalised(const std::vector<Candidate>& cs) {
    std::map<Key, double> out;
    if (cs.empty()) return out;
    const auto [lo, hi] = std::minmax_element(cs.begin(), cs.end(), [](auto& a, auto& b) { return a.score < b.score; });
    for (const auto& c : cs)
        out[{c.doc_path, c.ordinal}] = hi->score > lo->score ? (c.score - lo->score) / (hi->score - lo->score) : 1;
    return out;
}

std::vector<Hit> fuse(const SearchQuery& q, const std::vector<Candidate>& fts, const std::vector<Candidate>& vec) {
    std::map<Key, Hit> hits;
    for (std::size_t i = 0; i < fts.size(); ++i) {
        Hit& h = hits[{fts[i].doc_path, fts[i].ordinal}];
        h.fts_score = fts[i].score;
        h.fts_rank = static_cast<int>(i + 1);
    }
    for (std::size_t i = 0; i < vec.size(); ++i) {
        Hit& h = hits[{vec[i].doc_path, vec[i].ordinal}];
        h.vector_score = vec[i].score;
        h.vector_rank = static_cast<int>(i + 1);
    }
    const auto fts_norm = normalised(fts), vec_norm = normalised(vec);
    std::vector<std::pair<Key, Hit>> ranked(hits.begin(), hits.end());
    for (auto& [key, h] : ranked) {
        if (q.fusion == Fusion::rrf) {
            h.score = (h.fts_rank ? 1 / (kRrfK + h.fts_rank) : 0) + (h.vector_rank ? 1 / (kRrfK + h.vector_rank) : 0);
        } else {
            const auto f = fts_norm.find(key), v = vec_norm.find(key);
            h.score = q.fts_weight * (f == fts_norm.end() ? 0 : f->second) +
                      q.vector_weight * (v == vec_norm.end() ? 0 : v->second);
        }
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.second.score != b.second.score ? a.second.score > b.second.score : a.first < b.first;
    });
    ranked.resize(std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(q.k)));
    std::vector<Hit> out;
    for (auto& [key, h] : ranked) {
        h.doc_path = key.first;
        h.line_start = key.second;  // the ordinal until details are read
        out.push_back(std::move(h));
    }
    return out;
}

// Path, revision, span, section and a snippet with the query's words marked, for the hits only.
void add_details(pqxx::transaction_base& tx, const std::string& query, std::vector<Hit>& hits) {
    for (auto& h : hits) {
        const auto row =
            tx.exec_params1("SELECT revision, kind, line_start, line_end, section, "
                            "ts_headline('english', content, " +
                                any_word("english") +
                                ", "
                                "'StartSel=«, StopSel=», MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"') "
                                "FROM rag_chunks WHERE doc_path = $2 AND ordinal = $3",
                            query, h.doc_path, h.line_start);
        h.revision = row[0].as<std::string>();
        h.kind = row[1].as<std::string>();
        h.line_start = row[2].as<int>();
        h.line_end = row[3].as<int>();
        h.section = row[4].as<std::string>();
        h.snippet = row[5].as<std::string>();
    }
}

}  // namespace

void validate(const SearchQuery& q) {
    if (q.text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw BadQuery("q", "the query is empty", "ask something, e.g. q=how is the tenant set for a transaction");
    const auto characters = std::count_if(q.text.begin(), q.text.end(), [](char c) { return (c & 0xC0) != 0x80; });  // UTF-8
    if (static_cast<std::size_t>(characters) > kMaxQueryChars)
        throw BadQuery("q", fmt::format("the query is longer than {} characters", kMaxQueryChars));
    if (q.k < 1 || q.k > kMaxK) throw BadQuery("k", fmt::format("k is {}; it must be 1..{}", q.k, kMaxK));
    if (q.kind && std::find(document_kinds().begin(), document_kinds().end(), *q.kind) == document_kinds().end())
        throw BadQuery("kind", "unknown kind '" + *q.kind + "'",
                       "one of: doc, code, data_dictionary, model_card, dq_report, backtest, tenant_doc");
    if (q.fts_weight < 0 || q.vector_weight < 0 || q.fts_weight + q.vector_weight <= 0)
        throw BadQuery("weights", "the weights must be non-negative and not both zero");
    if (q.candidates < q.k || q.candidates > 1000)
        throw BadQuery("candidates", fmt::format("candidates is {}; it must be k..1000", q.candidates));
}

std::vector<Hit> search(pqxx::connection& conn, const std::string& tenant, const SearchQuery& query, const Embedder& embedder) {
    validate(query);
    const std::string embedding = query.mode == Mode::fts ? "" : vector_literal(embedder.embed(query.text));
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        const auto fts = query.mode == Mode::vector ? std::vector<Candidate>() : fts_candidates(tx, tenant, query);
        const auto vec = query.mode == Mode::fts ? std::vector<Candidate>() : vector_candidates(tx, tenant, query, embedding);
        auto hits = fuse(query, fts, vec);
        add_details(tx, query.text, hits);
        return hits;
    });
}

}  // namespace voltedge::rag
