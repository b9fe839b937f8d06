#include "rag/search.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "core/log.h"
#include "db/connection.h"
#include "observability/metrics.h"
#include "observability/tracing.h"
#include "rag/index.h"
#include "rag/snippet.h"

namespace voltedge::rag {
namespace {

observability::Histogram& recall_histogram() {
    static auto& recall = observability::metrics().histogram(
        "voltedge_search_ann_recall_ratio", "Sampled share of the exact top-k vector neighbours the ANN search also found",
        {0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0});
    return recall;
}

// A span and a sample of voltedge_search_stage_duration_seconds{stage} for one stage of a search.
class Stage {
public:
    explicit Stage(const char* name, const std::optional<observability::TraceContext>& parent = std::nullopt)
        : span_(std::string("search.") + name, observability::SpanKind::internal, parent ? parent : current()),
          name_(name),
          start_(std::chrono::steady_clock::now()) {}
    ~Stage() {
        seconds().with({name_}).observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
    static observability::HistogramFamily& seconds() {
        static auto& family = observability::metrics().histogram_family(
            "voltedge_search_stage_duration_seconds", "Time of each stage of a hybrid search (embed, fts, ann, fusion, rerank)",
            {"stage"});
        return family;
    }
    observability::Span& span() { return span_; }

private:
    static std::optional<observability::TraceContext> current() {
        const auto* c = observability::current_trace_context();
        return c ? std::optional(*c) : std::nullopt;
    }
    observability::Span span_;
    const char* name_;
    std::chrono::steady_clock::time_point start_;
};

constexpr double kRrfK = 60;
constexpr int kEfSearch = 200;            // search_bench: recall@10 against exact per tenant size
constexpr std::size_t kRerankDepth = 30;  // fused hits the lexical re-rank reorders
constexpr double kRerankWeight = 0.1;     // per exact match (best fused score = 1); golden set: 0.1 beat 0.05, 0.2
constexpr long kMatchBudget = 1000;       // chunks a query's rarest words may match, per configuration (informative_words)
constexpr long kRankCap = 2000;           // chunks ranked at most, whatever the words match

// A chunk one stage found, with what its hit shows: both stages read it with the candidate, in the stage's own
// transaction, so a hit needs no further query and is consistent with the chunk as it was found.
struct Candidate {
    std::string doc_path;
    int ordinal = 0;
    double score = 0;
    std::string revision, kind, section, content;
    int line_start = 0, line_end = 0;
};

// The columns after doc_path, ordinal and score that both stages' queries return.
constexpr const char* kDetailColumns = "revision, kind, line_start, line_end, section, content";

Candidate candidate_of(const pqxx::row& row) {
    Candidate c;
    c.doc_path = row[0].as<std::string>();
    c.ordinal = row[1].as<int>();
    c.score = row[2].as<double>();
    c.revision = row[3].as<std::string>();
    c.kind = row[4].as<std::string>();
    c.line_start = row[5].as<int>();
    c.line_end = row[6].as<int>();
    c.section = row[7].as<std::string>();
    c.content = row[8].as<std::string>();
    return c;
}

std::string filters(pqxx::transaction_base& tx, const SearchQuery& q) {
    std::string where;
    if (q.kind) where += " AND kind = " + tx.quote(*q.kind);
    if (!q.path_prefix.empty()) where += " AND starts_with(doc_path, " + tx.quote(q.path_prefix) + ")";
    return where;
}

// A lexeme as tsquery input: quoted, so that nothing in it is read as an operator.
std::string quoted_lexeme(const std::string& lexeme) {
    std::string out = "'";
    for (char c : lexeme) {
        if (c == '\'' || c == '\\') out += c;
        out += c;
    }
    return out + "'";
}

// tsquery texts per text-search configuration; empty: no word of the query in that configuration.
struct FullTextQuery {
    std::string match_english, match_simple;  // which chunks are read: the rarest words, ORed (or the two rarest ANDed)
    std::string rank_english, rank_simple;    // how they are ranked: every word of the query the tenant has, ORed
};

// The query's words that choose the chunks to rank, and those that rank them, per configuration. rag_terms
// counts the tenant's chunks holding each word (as IDF would weigh them). The match takes the words rarest first
// while the chunks they hold stay within kMatchBudget, the rarest always; when even the rarest alone holds more,
// the chunks holding both of the two rarest are read instead. The ranking takes every word: common ones like
// "how" and "the" in the simple configuration help rank phrases (leaving them out cost 0.03 recall@10 on the
// golden set), but reading every chunk holding them cost 17 ms of 20 for a tenant of 5,000 chunks. Words in none
// of the tenant's chunks match nothing and are left out.
FullTextQuery informative_words(pqxx::transaction_base& tx, const std::string& tenant, const std::string& text) {
    const auto rows = tx.exec_params("SELECT config, lexeme, chunks FROM rag_terms WHERE tenant_id = $1 AND ("
                                     "(config = 'english' AND lexeme = ANY(tsvector_to_array(to_tsvector('english', $2)))) OR "
                                     "(config = 'simple' AND lexeme = ANY(tsvector_to_array(to_tsvector('simple', $2))))) "
                                     "ORDER BY config, chunks, lexeme",
                                     tenant, text);
    struct Word {
        std::string lexeme;
        long chunks;
    };
    std::map<std::string, std::vector<Word>> by_config;  // rarest first
    for (const auto& r : rows)
        by_config[r[0].as<std::string>()].push_back({quoted_lexeme(r[1].as<std::string>()), r[2].as<long>()});
    FullTextQuery out;
    for (const auto& [config, words] : by_config) {
        const bool english = config == "english";
        std::string& match = english ? out.match_english : out.match_simple;
        std::string& rank = english ? out.rank_english : out.rank_simple;
        long chunks = 0;
        for (const auto& w : words) {
            rank += (rank.empty() ? "" : " | ") + w.lexeme;
            chunks += w.chunks;
            if (match.empty() || chunks <= kMatchBudget) match += (match.empty() ? "" : " | ") + w.lexeme;
        }
        if (words.size() >= 2 && words[0].chunks > kMatchBudget) match = words[0].lexeme + " & " + words[1].lexeme;
    }
    return out;
}

// Full-text candidates: ts_rank over the English words picks the best q.candidates of the chunks the match
// words choose (at most kRankCap of them, so the cost stays bounded in any tenant) and ts_rank_cd over both
// configurations orders those, ranking chunks that hold more of the words, closer together, higher. The query
// runs in rag_text_candidates (db/migrations/008, 019, 021): under row-level security no GIN index could serve it.
std::vector<Candidate> fts_candidates(pqxx::transaction_base& tx, const std::string& tenant, const SearchQuery& q) {
    const FullTextQuery words = informative_words(tx, tenant, q.text);
    if (words.match_english.empty() && words.match_simple.empty()) return {};
    const auto or_null = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
    std::vector<Candidate> out;
    for (const auto& row : tx.exec_params(
             fmt::format("SELECT doc_path, ordinal, score, {} FROM rag_text_candidates($1, $2, $3, $4, $5, $6, $7, $8)",
                         kDetailColumns),
             or_null(words.match_english), or_null(words.match_simple), or_null(words.rank_english), or_null(words.rank_simple),
             q.kind, q.path_prefix, kRankCap, q.candidates))
        out.push_back(candidate_of(row));
    return out;
}

// The settings vector_candidates needs, made before it runs (in its transaction, or sent ahead with the tenant's).
db::Settings vector_settings(const SearchQuery& q) {
    return {{"hnsw.ef_search", std::to_string(std::max(kEfSearch, q.candidates))},
            {"hnsw.iterative_scan", "strict_order"},
            {"enable_indexscan", q.exact ? "off" : "on"}};
}

// A tenant below the ANN threshold has no HNSW index of its own: the planner reads its rows through the
// primary key and computes every distance (exact). A large tenant's partial HNSW index (db/migrations/007)
// serves the same query; ef_search sets how wide the graph search is (recall against time, measured by
// search_bench) and the strict iterative scan keeps searching when a kind or path filter rejects rows, so
// the LIMIT is still met. `exact` turns index scans off to get the true neighbours (the benchmark's baseline).
std::vector<Candidate> vector_candidates(pqxx::transaction_base& tx, const std::string& tenant, const SearchQuery& q,
                                         const std::string& embedding) {
    // No tie-break in ORDER BY: an HNSW scan can only serve `ORDER BY distance LIMIT n`. Ties are broken below.
    const std::string sql = fmt::format(
        "SELECT doc_path, ordinal, 1 - (embedding <=> $1::vector) AS score, {} FROM rag_chunks WHERE tenant_id = $2{} "
        "ORDER BY embedding <=> $1::vector LIMIT $3",
        kDetailColumns, filters(tx, q));
    std::vector<Candidate> out;
    for (const auto& row : tx.exec_params(sql, embedding, tenant, q.candidates)) out.push_back(candidate_of(row));
    std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
        return a.score != b.score ? a.score > b.score : std::tie(a.doc_path, a.ordinal) < std::tie(b.doc_path, b.ordinal);
    });
    if (q.exact) db::set_local(tx, {{"enable_indexscan", "on"}});
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

// A candidate's details on its hit (the first stage to find a chunk gives them).
void describe(Hit& h, const Candidate& c) {
    if (!h.revision.empty()) return;
    h.revision = c.revision;
    h.kind = c.kind;
    h.section = c.section;
    h.content = c.content;
    h.line_start = c.line_start;
    h.line_end = c.line_end;
}

std::vector<Hit> fuse(const SearchQuery& q, const std::vector<Candidate>& fts, const std::vector<Candidate>& vec) {
    std::map<Key, Hit> hits;
    for (std::size_t i = 0; i < fts.size(); ++i) {
        Hit& h = hits[{fts[i].doc_path, fts[i].ordinal}];
        h.fts_score = fts[i].score;
        h.fts_rank = static_cast<int>(i + 1);
        describe(h, fts[i]);
    }
    for (std::size_t i = 0; i < vec.size(); ++i) {
        Hit& h = hits[{vec[i].doc_path, vec[i].ordinal}];
        h.vector_score = vec[i].score;
        h.vector_rank = static_cast<int>(i + 1);
        describe(h, vec[i]);
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
    const std::size_t keep = q.rerank ? std::max<std::size_t>(q.k, kRerankDepth) : static_cast<std::size_t>(q.k);
    ranked.resize(std::min(ranked.size(), keep));
    std::vector<Hit> out;
    for (auto& [key, h] : ranked) {
        h.doc_path = key.first;
        h.ordinal = key.second;
        out.push_back(std::move(h));
    }
    return out;
}

// The query's words as written, lower-cased, split at anything but letters, digits and '_' (so identifiers
// such as set_tenant stay whole).
std::vector<std::string> query_words(const std::string& text) {
    std::vector<std::string> words(1);
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80)) {
            words.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!words.back().empty()) {
            words.emplace_back();
        }
    }
    if (words.back().empty()) words.pop_back();
    return words;
}

bool is_identifier(const std::string& w) {
    return w.size() >= 3 &&
           std::any_of(w.begin(), w.end(), [](char c) { return c == '_' || std::isdigit(static_cast<unsigned char>(c)); });
}

// What exact matching sees and an embedding blurs, counted for one chunk: the query's identifiers written in
// it (set_tenant, energy_identity, 168), the query's words in the document's file name (chunker ->
// rag/chunker.cpp), and the query's consecutive word pairs written as a phrase.
int lexical_matches(const std::vector<std::string>& words, const std::string& doc_path, std::string content) {
    std::transform(content.begin(), content.end(), content.begin(), [](unsigned char c) { return std::tolower(c); });
    const std::string file = doc_path.substr(doc_path.rfind('/') + 1);
    int identifiers = 0, in_path = 0, phrases = 0;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (is_identifier(words[i]) && content.find(words[i]) != std::string::npos) ++identifiers;
        if (words[i].size() >= 5 && file.find(words[i]) != std::string::npos) ++in_path;
        if (i + 1 < words.size() && words[i].size() >= 3 && words[i + 1].size() >= 3 &&
            content.find(words[i] + " " + words[i + 1]) != std::string::npos)
            ++phrases;
    }
    return std::min(identifiers, 2) + std::min(in_path, 1) + std::min(phrases, 2);
}

// Re-rank (plan T-72). No cross-encoder's weights can be had from a registry here, so this is the cheap lexical
// kind: the top kRerankDepth fused hits, each scored by its fused score relative to the best one plus
// kRerankWeight per exact match (lexical_matches). `voltedge eval retrieval` measures what it does.
void lexical_rerank(const SearchQuery& q, std::vector<Hit>& hits) {
    if (hits.empty()) return;
    const auto words = query_words(q.text);
    const double best = hits.front().score > 0 ? hits.front().score : 1;
    for (auto& h : hits) h.score = h.score / best + kRerankWeight * lexical_matches(words, h.doc_path, h.content);
    std::stable_sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.score > b.score; });
}

// Each hit's snippet: its text around the query's words, marked (rag/snippet.h); the whole text only if asked.
void add_snippets(const SearchQuery& query, std::vector<Hit>& hits) {
    const SnippetQuery words(query.text);
    for (auto& h : hits) {
        h.snippet = snippet(h.content, words);
        if (!query.with_content) h.content.clear();
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

namespace {

// A share of searches (start_ann_recall_sampling) run their vector stage a second time by an exact scan; the
// overlap of the two top-k lists is the ANN index's recall on real traffic (voltedge_search_ann_recall_ratio,
// alerted on in observability/prometheus/). For a tenant without its own index both scans are exact: recall 1.
// The exact scans run on a thread and a connection of their own, after the search that drew them has answered:
// at 100,000 chunks one takes 350-400 ms (search_bench), which no request should wait for. That is also CPU the
// searches share (on two cores, one sample every 10 s slowed about 1 search in 20), so samples are at least
// kSampleInterval apart (the recall alert needs 10 in 30 minutes); one drawn sooner is dropped.
class RecallSampler {
public:
    RecallSampler(double ratio, std::string database_url)
        : ratio_(ratio), url_(std::move(database_url)), thread_([this] { loop(); }) {}
    ~RecallSampler() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

    void offer(const std::string& tenant, const SearchQuery& query, const std::string& embedding,
               const std::vector<Candidate>& approximate) {
        thread_local std::mt19937_64 rng{std::random_device{}()};
        if (std::uniform_real_distribution<double>(0, 1)(rng) >= ratio_) return;
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        if (waiting_ || now - last_ < kSampleInterval) return;
        last_ = now;
        waiting_ = Sample{tenant, query, embedding, approximate};
        wake_.notify_one();
    }

private:
    static constexpr std::chrono::seconds kSampleInterval{60};
    struct Sample {
        std::string tenant;
        SearchQuery query;
        std::string embedding;
        std::vector<Candidate> approximate;
    };

    void loop() {
        std::unique_ptr<pqxx::connection> conn;
        for (;;) {
            Sample sample;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || waiting_; });
                if (stopping_) return;
                sample = std::move(*waiting_);
                waiting_.reset();
            }
            try {
                if (!conn) conn = db::connect_shared(url_);
                measure(*conn, sample);
            } catch (const std::exception& e) {
                conn.reset();  // reconnect for the next sample
                log_event("warn", "ann_recall_sample_failed", {{"tenant", sample.tenant}, {"error", e.what()}});
            }
        }
    }

    static void measure(pqxx::connection& conn, const Sample& sample) {
        Stage stage("ann_exact", std::nullopt);
        SearchQuery exact_query = sample.query;
        exact_query.exact = true;
        const auto exact = db::with_tenant(conn, sample.tenant, [&](pqxx::transaction_base& tx) {
            db::set_local(tx, vector_settings(exact_query));
            return vector_candidates(tx, sample.tenant, exact_query, sample.embedding);
        });
        const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(sample.query.k), exact.size());
        if (k == 0) return;
        std::set<Key> truth;
        for (std::size_t i = 0; i < k; ++i) truth.insert({exact[i].doc_path, exact[i].ordinal});
        std::size_t found = 0;
        for (std::size_t i = 0; i < std::min(k, sample.approximate.size()); ++i)
            found += truth.count({sample.approximate[i].doc_path, sample.approximate[i].ordinal});
        const double r = static_cast<double>(found) / static_cast<double>(k);
        recall_histogram().observe(r);
        stage.span().set("search.recall", r);
    }

    const double ratio_;
    const std::string url_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<Sample> waiting_;
    std::chrono::steady_clock::time_point last_{};
    bool stopping_ = false;
    std::thread thread_;  // last: starts once the members it uses are made
};

// The sampler in use (none: sampling is off). Each API server start replaces it, while other servers of the
// process (tests run several) may be searching: they hold a reference while they use it.
struct SamplerSlot {
    std::mutex mutex;
    std::shared_ptr<RecallSampler> in_use;
};
SamplerSlot& sampler_slot() {
    static SamplerSlot slot;
    return slot;
}

std::shared_ptr<RecallSampler> recall_sampler() {
    std::lock_guard lock(sampler_slot().mutex);
    return sampler_slot().in_use;
}

// The vector stage, its settings made: the candidates nearest the query's embedding, and now and then a recall
// sample.
std::vector<Candidate> ann_stage(pqxx::transaction_base& tx, const std::string& tenant, const SearchQuery& query,
                                 const std::vector<float>& embedding, const std::optional<observability::TraceContext>& parent) {
    const std::string literal = vector_literal(embedding);
    Stage stage("ann", parent);
    auto vec = vector_candidates(tx, tenant, query, literal);
    stage.span().set("search.candidates", static_cast<std::int64_t>(vec.size()));
    stage.span().set("search.exact", query.exact);
    if (const auto sampler = query.exact ? nullptr : recall_sampler()) sampler->offer(tenant, query, literal, vec);
    return vec;
}

// Where the vector candidates come from: the query's embedding, for the vector stage to run in the search's own
// transaction once the full-text candidates are in; or the candidates themselves, found meanwhile on a second
// connection. Either is computed on another thread while the full-text stage runs.
struct VectorSource {
    std::future<std::vector<float>> embedding;
    std::future<std::vector<Candidate>> candidates;
};

std::vector<Hit> run(pqxx::connection& conn, const std::string& tenant, const SearchQuery& query, VectorSource vectors) {
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        std::vector<Candidate> fts, vec;
        if (query.mode != Mode::vector) {
            Stage stage("fts");
            fts = fts_candidates(tx, tenant, query);
            stage.span().set("search.candidates", static_cast<std::int64_t>(fts.size()));
        }
        if (query.mode != Mode::fts && vectors.candidates.valid()) {
            vec = vectors.candidates.get();
        } else if (query.mode != Mode::fts) {
            db::set_local(tx, vector_settings(query));
            vec = ann_stage(tx, tenant, query, vectors.embedding.get(), std::nullopt);
        }
        std::vector<Hit> hits;
        {
            Stage stage("fusion");
            hits = fuse(query, fts, vec);
        }
        if (query.rerank) {
            Stage stage("rerank");
            lexical_rerank(query, hits);
            hits.resize(std::min(hits.size(), static_cast<std::size_t>(query.k)));
        }
        add_snippets(query, hits);
        return hits;
    });
}

}  // namespace

std::vector<Hit> search(pqxx::connection& conn, const std::string& tenant, const SearchQuery& query, const Embedder& embedder,
                        pqxx::connection* vector_conn, std::vector<float>* query_embedding) {
    validate(query);
    if (query.mode == Mode::fts) return search(conn, tenant, query, std::vector<float>());
    const auto* trace = observability::current_trace_context();
    const std::optional<observability::TraceContext> parent = trace ? std::optional(*trace) : std::nullopt;
    const auto embed = [&] {
        Stage stage("embed", parent);  // on another thread: the caller's span is passed in
        auto embedding = embedder.embed(query.text);
        if (query_embedding) *query_embedding = embedding;  // read by the caller after run() has waited for this thread
        return embedding;
    };
    VectorSource vectors;
    if (vector_conn)
        vectors.candidates = std::async(std::launch::async, [&] {
            // This thread's spans (the transaction's) belong to the search's trace, not to one of their own.
            observability::Span vector_stage("search.vector", observability::SpanKind::internal, parent);
            // The transaction's opening round trips overlap the embedding.
            return db::with_tenant_overlapped(*vector_conn, tenant, vector_settings(query), embed,
                                              [&](pqxx::transaction_base& tx, const std::vector<float>& embedding) {
                return ann_stage(tx, tenant, query, embedding, parent);
            });
        });
    else
        vectors.embedding = std::async(std::launch::async, embed);
    return run(conn, tenant, query, std::move(vectors));
}

void start_ann_recall_sampling(double ratio, const std::string& database_url) {
    recall_histogram();  // the metrics its thread writes are made before the slot, so that they outlive it at exit
    Stage::seconds();
    auto sampler = ratio > 0 ? std::make_shared<RecallSampler>(std::min(ratio, 1.0), database_url) : nullptr;
    std::lock_guard lock(sampler_slot().mutex);
    sampler_slot().in_use.swap(sampler);  // the one replaced stops once no search holds it
}

std::vector<Hit> search(pqxx::connection& conn, const std::string& tenant, const SearchQuery& query,
                        const std::vector<float>& query_embedding) {
    validate(query);
    std::promise<std::vector<float>> given;
    given.set_value(query_embedding);
    return run(conn, tenant, query, {given.get_future(), {}});
}

}  // namespace voltedge::rag
