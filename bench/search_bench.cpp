// `make bench`, retrieval part, in a scratch database of its own (dropped at the end):
//   index    the project's own tree indexed for a new tenant by `voltedge index` (a child process, as a user
//            runs it): wall time and chunks/s; then again with nothing changed (every document skipped).
//   tenants  50 tenants made from that tree's chunks: one of 100,000 chunks, one each of 50,000, 20,000,
//            10,000, 5,000, 2,000 and 1,000, and 43 more of 1,000 (about 231,000 chunks). A made chunk has a
//            real chunk's text; its embedding is a random mix of three real chunks' embeddings plus a little
//            noise, normalised: clustered the way text embeddings are (uniform random vectors have no
//            neighbourhoods for an ANN index to find, and no text does that). Tenants at or past
//            VOLTEDGE_ANN_MIN_CHUNKS get their own HNSW index through rag::maintain_ann_index, and those at or past
//            VOLTEDGE_TEXT_INDEX_MIN_CHUNKS their own GIN indexes through rag::maintain_text_index: build times.
//   recall   per tenant size, the golden set's questions as queries: the product's vector top 10 (HNSW where
//            the tenant has it) against an exact scan, recall@10 mean and worst query; the database time of
//            each path (p50/p95). Also for "between topics" queries (a mix of three unrelated chunks), which
//            sit far from every chunk: the hard case for a graph search.
//   api      `voltedge serve` on that database; GET /search?q=...&k=10 with the tenant's key, one client
//            in a loop (hybrid: query embedding, full text, vectors, fusion, snippets): p50/p95/p99.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "bench/child_run.h"
#include "bench/scratch_database.h"
#include "core/config.h"
#include "db/connection.h"
#include "db/copy_in.h"
#include "evaluations/retrieval_eval.h"
#include "http/client.h"
#include "rag/index.h"
#include "rag/search.h"

using namespace voltedge;
using Clock = std::chrono::steady_clock;

namespace {

std::string voltedge_bin = VOLTEDGE_BIN;  // --voltedge

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100 * static_cast<double>(v.size())))];
}

void expect_success(const bench::ChildRun& run, const std::string& what) {
    if (run.status != 0) throw Error(what + " failed (exit status " + std::to_string(run.status) + ")");
}

struct SeedChunk {
    std::string kind, section, content;
    int line_start = 0, line_end = 0;
    std::vector<float> embedding;
};

std::vector<SeedChunk> read_seed(const Config& config, const std::string& tenant) {
    auto conn = db::connect(config.database_admin_url);  // superuser: reads past row-level security
    pqxx::read_transaction tx(conn);
    std::vector<SeedChunk> seed;
    for (const auto& r : tx.exec_params("SELECT kind, section, content, line_start, line_end, embedding::text FROM rag_chunks "
                                        "WHERE tenant_id = $1 ORDER BY doc_path, ordinal",
                                        tenant))
        seed.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<int>(), r[4].as<int>(),
                        rag::parse_vector_literal(r[5].c_str())});
    return seed;
}

// COPY's text format: backslash, tab, newline and carriage return escaped.
void append_copy_field(std::string& out, const std::string& s) {
    for (char c : s) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += c;
        }
    }
}

// w0 * a + w1 * b + w2 * c + noise, normalised.
std::vector<float> mix(const std::vector<SeedChunk>& seed, std::mt19937_64& rng, std::size_t a, double w0, double w1_max,
                       double w2_max, double noise) {
    std::uniform_int_distribution<std::size_t> pick(0, seed.size() - 1);
    std::uniform_real_distribution<double> u(0, 1);
    std::normal_distribution<double> gauss(0, noise);
    const std::size_t b = pick(rng), c = pick(rng);
    const double w1 = u(rng) * w1_max, w2 = u(rng) * w2_max;
    std::vector<float> v(seed[a].embedding.size());
    double norm = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const double x = w0 * seed[a].embedding[i] + w1 * seed[b].embedding[i] + w2 * seed[c].embedding[i] + gauss(rng);
        v[i] = static_cast<float>(x);
        norm += x * x;
    }
    for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
    return v;
}

constexpr std::size_t kChunksPerDocument = 25;

// The tenant's rows straight into the tables (as the superuser), documents of 25 chunks each.
void make_tenant(const Config& config, const std::string& tenant, std::size_t chunks, const std::vector<SeedChunk>& seed,
                 std::uint64_t rng_seed) {
    std::mt19937_64 rng(rng_seed);
    std::uniform_int_distribution<std::size_t> pick(0, seed.size() - 1);
    std::uniform_real_distribution<double> u(0, 1);
    auto conn = db::connect(config.database_admin_url);
    pqxx::work tx(conn);
    tx.exec_params("INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", tenant);
    const std::size_t documents = (chunks + kChunksPerDocument - 1) / kChunksPerDocument;
    {
        db::CopyIn copy(tx, "rag_documents", {"tenant_id", "doc_path", "kind", "revision", "content_sha256", "chunk_count"});
        for (std::size_t d = 0; d < documents; ++d) {
            copy.buffer() += fmt::format("{}\tsynthetic/{:06d}.md\ttenant_doc\tbench\tbench\t{}\n", tenant, d,
                                         std::min(kChunksPerDocument, chunks - d * kChunksPerDocument));
            copy.maybe_flush();
        }
        copy.finish();
    }
    db::CopyIn copy(tx, "rag_chunks",
                    {"tenant_id", "doc_path", "ordinal", "kind", "revision", "line_start", "line_end", "section", "content",
                     "embedding"});
    for (std::size_t i = 0; i < chunks; ++i) {
        const std::size_t a = pick(rng);
        const SeedChunk& s = seed[a];
        std::string& out = copy.buffer();
        out += fmt::format("{}\tsynthetic/{:06d}.md\t{}\t{}\tbench\t{}\t{}\t", tenant, i / kChunksPerDocument,
                           i % kChunksPerDocument, s.kind, s.line_start, s.line_end);
        append_copy_field(out, s.section);
        out += '\t';
        append_copy_field(out, s.content);
        out += '\t';
        out += rag::vector_literal(mix(seed, rng, a, 0.5 + 0.5 * u(rng), 0.5, 0.3, 0.02));
        out += '\n';
        copy.maybe_flush();
    }
    copy.finish();
    tx.commit();
}

struct Query {
    std::string text;
    std::vector<float> embedding;
};

struct RecallFigures {
    double mean = 0, worst = 1, ann_p50 = 0, ann_p95 = 0, exact_p50 = 0;
};

// The product's vector top 10 against the exact top 10, per query; database time of each (embedding excluded).
RecallFigures measure_recall(pqxx::connection& conn, const std::string& tenant, const std::vector<Query>& queries) {
    RecallFigures f;
    std::vector<double> ann_ms, exact_ms;
    double sum = 0;
    for (const auto& query : queries) {
        rag::SearchQuery q;
        q.text = query.text;
        q.mode = rag::Mode::vector;
        const auto t0 = Clock::now();
        const auto approximate = rag::search(conn, tenant, q, query.embedding);
        ann_ms.push_back(ms_since(t0));
        q.exact = true;
        const auto t1 = Clock::now();
        const auto exact = rag::search(conn, tenant, q, query.embedding);
        exact_ms.push_back(ms_since(t1));
        std::set<std::pair<std::string, int>> truth;
        for (const auto& h : exact) truth.insert({h.doc_path, h.ordinal});
        std::size_t found = 0;
        for (const auto& h : approximate) found += truth.count({h.doc_path, h.ordinal});
        const double recall = exact.empty() ? 1 : static_cast<double>(found) / static_cast<double>(exact.size());
        sum += recall;
        f.worst = std::min(f.worst, recall);
    }
    f.mean = sum / static_cast<double>(queries.size());
    f.ann_p50 = percentile(ann_ms, 50);
    f.ann_p95 = percentile(ann_ms, 95);
    f.exact_p50 = percentile(exact_ms, 50);
    return f;
}

// `voltedge serve` on the scratch database, stopped on destruction.
class Server {
public:
    explicit Server(int port) : port_(port) {
        pid_ = fork();
        if (pid_ == 0) {
            setenv("VOLTEDGE_API_PORT", std::to_string(port).c_str(), 1);
            if (!freopen("/tmp/search_bench_serve.log", "w", stderr)) _exit(126);
            execl(voltedge_bin.c_str(), voltedge_bin.c_str(), "serve", nullptr);
            _exit(127);
        }
        for (int i = 0; i < 600; ++i) {
            try {
                if (http::send({"GET", fmt::format("http://127.0.0.1:{}/healthz", port), "", {}, 1, 5}).status == 200) return;
            } catch (const http::Unreachable&) {  // not listening yet
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        throw Error("voltedge serve did not come up (log: /tmp/search_bench_serve.log)");
    }
    ~Server() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Each question `rounds` times, one request at a time, after one round not counted (the pooled connections'
    // first statements, the tenant's pages); latency per request as the client sees it.
    void measure(const std::string& key, const std::vector<Query>& questions, std::size_t rounds, std::size_t chunks) const {
        std::vector<double> ms;
        std::size_t errors = 0;
        for (const auto& q : questions)
            http::send({"GET",
                        fmt::format("http://127.0.0.1:{}/search?k=10&q={}", port_, http::escape(q.text)),
                        "",
                        {"X-API-Key: " + key},
                        2,
                        30});
        for (std::size_t r = 0; r < rounds; ++r)
            for (const auto& q : questions) {
                const auto t0 = Clock::now();
                const auto reply = http::send({"GET",
                                               fmt::format("http://127.0.0.1:{}/search?k=10&q={}", port_, http::escape(q.text)),
                                               "",
                                               {"X-API-Key: " + key},
                                               2,
                                               30});
                ms.push_back(ms_since(t0));
                errors += reply.status != 200;
            }
        fmt::print("        {:>8}  {:>8}  {:>8.1f}  {:>8.1f}  {:>8.1f}  {:>6}\n", chunks, ms.size(), percentile(ms, 50),
                   percentile(ms, 95), percentile(ms, 99), errors);
    }

private:
    int port_;
    pid_t pid_ = -1;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Retrieval benchmark: index build, ANN recall against exact search per tenant size, /search latency"};
    std::string golden_file = std::string(VOLTEDGE_SOURCE_DIR) + "/evaluations/golden/demo/retrieval.jsonl";
    std::size_t largest = 100'000, api_rounds = 3;
    int port = 28190;  // below the ephemeral port range (see serve_bench)
    bool keep_database = false;
    app.add_option("--golden", golden_file, "questions used as queries");
    app.add_option("--largest", largest, "chunks of the largest tenant (the others scale down from it)");
    app.add_option("--api-rounds", api_rounds, "times each question is asked through /search per tenant");
    app.add_option("--port", port, "port for the API under test");
    app.add_flag("--keep-database", keep_database, "leave the scratch database in place (its name goes to stderr)");
    app.add_option("--voltedge", voltedge_bin, "the voltedge binary measured")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows as it happens, also into a file

    try {
        bench::ScratchDatabase scratch(Config::load(), "search_bench");
        if (keep_database) scratch.keep();
        const Config& config = scratch.config();
        // index: the project's tree, first from empty, then unchanged.
        expect_success(bench::run_child({voltedge_bin, "tenant", "create", "bench-tree"}, "/dev/null"), "tenant create");
        const auto first = bench::run_child({voltedge_bin, "index", "--tenant", "bench-tree", "--root", VOLTEDGE_SOURCE_DIR},
                                            "/tmp/search_bench_index.log");
        expect_success(first, "voltedge index (log: /tmp/search_bench_index.log)");
        const auto again = bench::run_child({voltedge_bin, "index", "--tenant", "bench-tree", "--root", VOLTEDGE_SOURCE_DIR},
                                            "/dev/null");
        expect_success(again, "voltedge index, second run");
        const auto seed = read_seed(config, "bench-tree");
        fmt::print("index   project tree: {} chunks in {:.1f} s ({:.1f} chunks/s, peak RSS {} MB); unchanged re-index {:.1f} s\n",
                   seed.size(), first.seconds, static_cast<double>(seed.size()) / first.seconds, first.peak_rss_kb / 1024,
                   again.seconds);

        // tenants: the sizes measured, then the rest of the 50 at the smallest size.
        std::vector<std::size_t> sizes;
        for (double f : {1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01})
            sizes.push_back(std::max<std::size_t>(100, static_cast<std::size_t>(f * static_cast<double>(largest))));
        const auto t_make = Clock::now();
        std::size_t total = 0;
        for (std::size_t t = 0; t < 50; ++t) {
            const std::size_t n = t < sizes.size() ? sizes[t] : sizes.back();
            make_tenant(config, fmt::format("bench-t{:02d}", t), n, seed, 1000 + t);
            total += n;
        }
        auto admin = db::connect(config.database_admin_url);
        pqxx::nontransaction(admin).exec("VACUUM ANALYZE rag_chunks");
        fmt::print("tenants 50 tenants, {} chunks made and loaded in {:.1f} s; ANN threshold {} chunks\n", total,
                   ms_since(t_make) / 1e3, config.ann_min_chunks);
        auto conn = db::connect(config.database_url);
        for (std::size_t t = 0; t < sizes.size(); ++t) {
            const auto t0 = Clock::now();
            const auto what = rag::maintain_ann_index(conn, fmt::format("bench-t{:02d}", t), config.ann_min_chunks);
            if (what == "built") fmt::print("        HNSW index for {} chunks built in {:.1f} s\n", sizes[t], ms_since(t0) / 1e3);
            const auto t1 = Clock::now();
            if (rag::maintain_text_index(conn, fmt::format("bench-t{:02d}", t), config.text_index_min_chunks) == "built")
                fmt::print("        full-text indexes for {} chunks built in {:.1f} s\n", sizes[t], ms_since(t1) / 1e3);
        }

        // recall and database time per size, for the golden questions and for queries between topics.
        const auto embedder = rag::Embedder::load(config.model_dir.empty() ? rag::default_model_dir() : config.model_dir);
        std::vector<Query> questions, between;
        for (const auto& g : evaluations::load_golden(golden_file, VOLTEDGE_SOURCE_DIR))
            questions.push_back({g.question, embedder.embed(g.question)});
        std::mt19937_64 rng(7);
        std::uniform_int_distribution<std::size_t> pick(0, seed.size() - 1);
        for (std::size_t i = 0; i < questions.size(); ++i)
            between.push_back({"between topics", mix(seed, rng, pick(rng), 1, 1, 1, 0)});
        for (const auto& [name, queries] : {std::pair{"golden questions", &questions}, std::pair{"between topics", &between}}) {
            fmt::print("recall  vector top 10 against exact top 10, {} {} per size; database time\n", queries->size(), name);
            fmt::print("        {:>8}  {:>6}  {:>10}  {:>12}  {:>8}  {:>8}  {:>10}\n", "chunks", "path", "recall@10",
                       "worst query", "p50 ms", "p95 ms", "exact p50");
            for (std::size_t t = 0; t < sizes.size(); ++t) {
                const auto f = measure_recall(conn, fmt::format("bench-t{:02d}", t), *queries);
                fmt::print("        {:>8}  {:>6}  {:>10.4f}  {:>12.2f}  {:>8.1f}  {:>8.1f}  {:>10.1f}\n", sizes[t],
                           static_cast<int>(sizes[t]) >= config.ann_min_chunks ? "hnsw" : "exact", f.mean, f.worst, f.ann_p50,
                           f.ann_p95, f.exact_p50);
            }
        }

        // api: hybrid /search as a client sees it.
        const Server server(port);
        fmt::print("api     GET /search?k=10 (hybrid), one client, each golden question {} times after a round not counted\n",
                   api_rounds);
        fmt::print("        {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>6}\n", "chunks", "requests", "p50 ms", "p95 ms", "p99 ms",
                   "errors");
        for (std::size_t t : {std::size_t{0}, std::size_t{4}, std::size_t{6}}) {
            const std::string key = bench::output_of(fmt::format("{} tenant key bench-t{:02d} 2>/dev/null", voltedge_bin, t));
            server.measure(key, questions, api_rounds, sizes[t]);
        }
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "search_bench: {}\n", e.what());
        return 1;
    }
}
