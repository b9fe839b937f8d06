// `make bench`, embedding part: all-MiniLM-L6-v2 in process (rag::Embedder), no services needed.
//   batch   N chunks of exactly 128 tokens ([CLS] + 126 + [SEP]) cut from the repository's README.md, embedded with
//           embed_ids_batch (the chunks shared out between the threads); best of R rounds -> chunks/s
//   query   a 16-token query (14 + [CLS] and [SEP]) embedded alone (split over the threads), Q times -> p50/p95
// Targets on the 2-core development machine: >= 40 chunks/s and <= 5 ms p50 for the query.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "rag/encoder.h"

using namespace voltedge;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The machine is shared: other work on it shows in the figures, so the bench says how busy it was.
std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one;
    return in >> one ? one : "?";
}

// Token ids of exactly `tokens` ([CLS] ... [SEP]) starting at content token `from` of `all` (wrapping around).
std::vector<int32_t> window(const std::vector<int32_t>& all, std::size_t from, std::size_t tokens) {
    std::vector<int32_t> ids{101};
    for (std::size_t i = 0; ids.size() + 1 < tokens; ++i) ids.push_back(all[(from + i) % all.size()]);
    ids.push_back(102);
    return ids;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Sentence-embedding benchmark (all-MiniLM-L6-v2, in process)"};
    std::string model_dir = rag::default_model_dir();
    std::string text_file = std::string(VOLTEDGE_SOURCE_DIR) + "/README.md";
    std::size_t chunks = 64, rounds = 3, queries = 200;
    unsigned threads = 0;
    app.add_option("--model-dir", model_dir, "model directory (make bootstrap fills the default)");
    app.add_option("--text", text_file, "text the chunks and the query are cut from");
    app.add_option("--chunks", chunks, "chunks of 128 tokens per batch");
    app.add_option("--rounds", rounds, "batch rounds (the best counts)");
    app.add_option("--queries", queries, "16-token queries");
    app.add_option("--threads", threads, "threads per call (0: one per core)");
    CLI11_PARSE(app, argc, argv);

    try {
        const auto t_load = Clock::now();
        const auto embedder = rag::Embedder::load(model_dir, threads);
        fmt::print("model {} loaded in {:.0f} ms; {} threads; Eigen SIMD: {}; load average before: {}\n", model_dir,
                   1e3 * seconds_since(t_load), embedder.threads(), rag::Embedder::simd(), load_average());

        // Content tokens of the whole text: tokenize paragraph by paragraph (each is truncated at 256 tokens).
        std::ifstream in(text_file);
        if (!in) throw Error("cannot read " + text_file);
        std::vector<int32_t> all;
        std::string paragraph, line;
        auto flush = [&] {
            auto ids = embedder.tokenizer().encode(paragraph, 1u << 20);
            all.insert(all.end(), ids.begin() + 1, ids.end() - 1);
            paragraph.clear();
        };
        while (std::getline(in, line)) {
            if (line.empty()) flush();
            paragraph += line + "\n";
        }
        flush();
        if (all.size() < 128) throw Error(text_file + " has too few tokens for a 128-token chunk");

        std::vector<std::vector<int32_t>> batch;
        for (std::size_t c = 0; c < chunks; ++c) batch.push_back(window(all, c * 126, 128));
        embedder.embed_ids_batch({batch.begin(), batch.begin() + std::min<std::size_t>(2, chunks)});  // warm-up
        double best = 1e300, cores = 0;
        for (std::size_t r = 0; r < rounds; ++r) {
            const auto t0 = Clock::now();
            const std::clock_t cpu0 = std::clock();
            const auto out = embedder.embed_ids_batch(batch);
            const double wall = seconds_since(t0), cpu = double(std::clock() - cpu0) / CLOCKS_PER_SEC;
            if (wall < best) best = wall, cores = cpu / wall;
            if (out.size() != batch.size() || out[0].size() != static_cast<std::size_t>(rag::kEmbeddingDim))
                throw Error("unexpected batch output");
        }
        fmt::print("batch: {} chunks x 128 tokens in {:.3f} s (best of {}, {:.2f} cores busy) -> {:.1f} chunks/s\n", chunks, best,
                   rounds, cores, chunks / best);

        const auto query = window(all, 7, 16);
        for (int i = 0; i < 10; ++i) embedder.embed_ids(query);  // warm-up
        std::vector<double> ms;
        for (std::size_t i = 0; i < queries; ++i) {
            const auto t0 = Clock::now();
            embedder.embed_ids(query);
            ms.push_back(1e3 * seconds_since(t0));
        }
        std::sort(ms.begin(), ms.end());
        auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * ms.size()))]; };
        fmt::print("query: 16 tokens x {}: p50 {:.2f} ms, p95 {:.2f} ms, max {:.2f} ms\n", queries, pct(0.50), pct(0.95),
                   ms.back());

        // In a server the database runs between two queries and takes the caches: each query there starts with the
        // model's weights in memory, not in cache. Here 256 MB are written before each query to do the same.
        std::vector<char> sweep(256u << 20);
        ms.clear();
        for (std::size_t i = 0; i < std::min<std::size_t>(queries, 50); ++i) {
            std::fill(sweep.begin(), sweep.end(), static_cast<char>(i));
            const auto t0 = Clock::now();
            embedder.embed_ids(query);
            ms.push_back(1e3 * seconds_since(t0));
        }
        std::sort(ms.begin(), ms.end());
        fmt::print("query, caches taken by other work before each: 16 tokens x {}: p50 {:.2f} ms, p95 {:.2f} ms\n", ms.size(),
                   pct(0.50), pct(0.95));

        // The path a caller uses (tokenize + embed) for a real question.
        const std::string question = "How is the tenant set for each database transaction today?";
        const auto t0 = Clock::now();
        for (int i = 0; i < 50; ++i) embedder.embed(question);
        fmt::print("query via embed(text) ({} tokens): {:.2f} ms mean\n", embedder.tokenize(question).size(),
                   1e3 * seconds_since(t0) / 50);
    } catch (const Error& e) {
        fmt::print(stderr, "embed_bench: {}\n", e.what());
        if (!e.hint().empty()) fmt::print(stderr, "  {}\n", e.hint());
        return 1;
    }
    return 0;
}
