#pragma once
// `voltedge serve`: the prediction API. This area is thin: each route group parses the request, calls an
// area (serving::Predictor, security) and renders the answer; the shared HTTP layer does errors, request
// ids, logs and metrics.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agents/tools.h"
#include "core/config.h"
#include "jobs/job.h"
#include "rag/encoder.h"
#include "serving/predictor.h"

namespace voltedge::api {

struct ServeOptions {
    std::string host = "127.0.0.1";
    int port = 28080;                      // 0: any free port (tests)
    int threads = 16;                      // handler threads (they block on Postgres and Redis)
    int io_threads = 2;                    // connections are served asynchronously by these
    std::size_t queue_limit = 256;         // requests waiting for a handler thread; beyond, 503 + Retry-After
    std::size_t max_connections = 10'000;  // past it, new connections get 503
    std::chrono::milliseconds idle_timeout{60'000}, header_timeout{10'000}, body_timeout{30'000};
    std::size_t db_connections = 8;  // application-role connections shared by requests
    std::chrono::milliseconds key_cache_ttl{10'000};
    std::chrono::milliseconds request_timeout{10'000};
    std::chrono::milliseconds model_load_timeout{30'000};
    std::chrono::milliseconds model_refresh{30'000};  // re-read the production aliases this often (0: only on /reload)
    bool cache = true;                                // false: every prediction is computed and stored (benchmarks)
    std::size_t max_batch = Config{}.max_batch;       // target_hours per request
    long max_active_jobs = Config{}.max_active_jobs;  // per tenant: POST /jobs answers 429 beyond
    std::size_t max_body_bytes = 64 * 1024;
    int redis_ttl_seconds = 3600;
    bool preload_models = true;  // false: each tenant's model starts loading on its first request (tests)

    static ServeOptions from_config(const Config& config);
};

struct Route {
    std::string method, path;  // path as in the OpenAPI document, e.g. "/explain/{id}"
};
// Every route the server answers; the OpenAPI document must describe each (tested).
const std::vector<Route>& routes();

// Makes the agent's tools (cli/agent_tools.h) from what the server owns. Without a factory /ask answers from
// documents only.
using ToolFactory = std::function<agents::ToolRegistry(const rag::Embedder& embedder, serving::Predictor& predictor)>;

class ApiServer {
public:
    // `queue`: where POST /jobs submits (the workers' Redis Streams queue); it must outlive the server.
    ApiServer(Config config, ServeOptions options, ToolFactory tools = {}, jobs::Queue* queue = nullptr);
    ~ApiServer();
    // Binds, loads the production models and starts serving on background threads; returns once listening.
    void start();
    void stop();  // stops accepting, lets requests in flight finish
    int port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace voltedge::api
