#include "api/server.h"

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/routes.h"
#include "core/log.h"
#include "db/pool.h"
#include "registry/mlflow.h"
#include "observability/metrics.h"
#include "rag/search.h"
#include "serving/canary.h"
#include "serving/serving_stats.h"

namespace voltedge::api {

const std::vector<Route>& routes() {
    static const std::vector<Route> r = {{"GET", "/healthz"},         {"GET", "/readyz"},
                                         {"POST", "/predict"},        {"GET", "/explain/{id}"},
                                         {"POST", "/reload"},         {"GET", "/metrics"},
                                         {"GET", "/openapi.json"},    {"GET", "/docs"},
                                         {"GET", "/search"},          {"POST", "/ask"},
                                         {"GET", "/ask/{thread_id}"}, {"POST", "/ask/{thread_id}/resume"},
                                         {"POST", "/jobs"},           {"GET", "/jobs/{id}"}};
    return r;
}

ServeOptions ServeOptions::from_config(const Config& c) {
    ServeOptions o;
    o.host = c.api_host;
    o.port = c.api_port;
    o.threads = c.api_threads;
    o.io_threads = c.api_io_threads;
    o.queue_limit = static_cast<std::size_t>(c.api_queue);
    o.max_connections = static_cast<std::size_t>(c.api_max_connections);
    o.db_connections = static_cast<std::size_t>(c.db_pool);
    o.key_cache_ttl = std::chrono::seconds(c.key_cache_seconds);
    o.request_timeout = std::chrono::milliseconds(c.request_timeout_ms);
    o.model_load_timeout = std::chrono::seconds(c.model_load_timeout_seconds);
    o.model_refresh = std::chrono::seconds(c.model_refresh_seconds);
    o.cache = c.prediction_cache;
    o.max_batch = static_cast<std::size_t>(c.max_batch);
    o.max_active_jobs = c.max_active_jobs;
    o.redis_ttl_seconds = c.cache_ttl_seconds;
    return o;
}

namespace {

http::ServerOptions transport_options(const ServeOptions& o) {
    http::ServerOptions t;
    t.host = o.host;
    t.port = o.port;
    t.io_threads = o.io_threads;
    t.workers = o.threads;
    t.queue_limit = o.queue_limit;
    t.max_connections = o.max_connections;
    t.max_body_bytes = o.max_body_bytes;
    t.idle_timeout = o.idle_timeout;
    t.header_timeout = o.header_timeout;
    t.body_timeout = o.body_timeout;
    return t;
}

// Search needs the embedding model; without it (not bootstrapped) the API still serves forecasts. A query is
// embedded on one thread: it runs beside the database's full-text stage, and split over both cores it waited
// on that stage for a core (search_bench: embedding 10.8 against 9.1 ms, /search p50 25 against 21 ms).
std::optional<rag::Embedder> load_embedder(const Config& config) {
    try {
        return rag::Embedder::load(config.model_dir.empty() ? rag::default_model_dir() : config.model_dir, 1);
    } catch (const std::exception& e) {
        log_event("warn", "search_unavailable", {{"error", e.what()}});
        return std::nullopt;
    }
}

}  // namespace

struct ApiServer::Impl {
    Config config;
    ServeOptions options;
    db::ConnectionPool pool;
    security::KeyResolver keys;
    registry::Mlflow registry;
    serving::Predictor predictor;
    std::optional<rag::Embedder> embedder;
    agents::ToolRegistry tools;
    std::optional<agents::Agent> agent;
    Services services;
    serving::ServingStats serving_stats;
    http::Server http;
    int bound_port = 0;
    // Re-reads the production aliases every options.model_refresh, so an alias moved elsewhere (a rollback, a
    // promotion by the canary controller) is served without a /reload.
    std::mutex refresh_mutex;
    std::condition_variable refresh_wake;
    bool stopping = false;
    std::thread refresher;

    void refresh_loop() {
        std::unique_lock lock(refresh_mutex);
        while (!refresh_wake.wait_for(lock, options.model_refresh, [this] { return stopping; })) {
            lock.unlock();
            try {
                const serving::RequestContext ctx{"model-refresh", "", "",
                                                  std::chrono::steady_clock::now() + options.model_load_timeout};
                for (const auto& tenant : predictor.served_tenants()) {
                    // The canary's version and share (serving/canary.h), as the controller last set them.
                    const auto rollout = pool.read(
                        [&](pqxx::connection& conn) { return serving::running_rollout(conn, tenant); });
                    predictor.set_canary(tenant, rollout ? rollout->version : "", rollout ? rollout->share : 0);
                    for (const auto& r : predictor.reload(ctx, tenant))
                        if (r.changed)
                            log_info("model_refreshed",
                                     {{"tenant_id", r.tenant}, {"version", r.version}, {"previous_version", r.previous_version}});
                }
            } catch (const std::exception& e) {
                log_event("warn", "model_refresh_failed", {{"error", e.what()}});
            }
            lock.lock();
        }
    }

    Impl(Config c, ServeOptions o, const ToolFactory& make_tools, jobs::Queue* queue)
        : config(std::move(c)),
          options(std::move(o)),
          pool(config.database_url, options.db_connections),
          keys(pool, options.key_cache_ttl),
          registry(config.mlflow_tracking_uri),
          predictor(pool, registry, config.database_url, config.redis_url,
                    {options.cache, options.redis_ttl_seconds, options.preload_models, {options.model_load_timeout}}),
          embedder(load_embedder(config)),
          tools(embedder && make_tools ? make_tools(*embedder, predictor) : agents::ToolRegistry{}),
          agent(embedder ? std::optional<agents::Agent>(std::in_place, *embedder, agents::agent_options(config), &tools)
                         : std::nullopt),
          services{options, keys, predictor, pool, embedder ? &*embedder : nullptr, agent ? &*agent : nullptr, queue},
          serving_stats(pool),
          http(transport_options(options)) {}
};

ApiServer::ApiServer(Config config, ServeOptions options, ToolFactory tools, jobs::Queue* queue)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options), tools, queue)) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
    auto& s = *impl_;
    if (s.embedder) rag::start_ann_recall_sampling(s.config.ann_recall_sample_ratio, s.config.database_url);
    install_system_routes(s.http, s.services);
    install_predict_routes(s.http, s.services);
    install_admin_routes(s.http, s.services);
    install_search_routes(s.http, s.services);
    install_ask_routes(s.http, s.services);
    install_job_routes(s.http, s.services);
    s.http.on_rejection(render_rejection);
    // Forecasts served, per tenant and version, for the SLO check and the canary controller: the requests a
    // tenant's key made (client errors included, counted as requests) and the server errors among them.
    s.http.on_response([&s](const http::Request& req, const http::Response& res, double seconds) {
        if (req.route == "/predict" && current_request().request == &req && !current_request().tenant.empty()) {
            const auto& r = current_request();
            s.serving_stats.record(r.tenant, r.model_version, seconds * 1e3, res.status >= 500);
            // Per version and role, for the canary alerts (observability/prometheus/): no tenant label on the
            // public /metrics.
            static auto& predictions = observability::metrics().counter_family(
                "voltedge_predictions_total", "Forecast requests answered, by model version, role and outcome",
                {"model_version", "role", "outcome"});
            if (!r.model_version.empty())
                predictions.with({r.model_version, r.model_role, res.status >= 500 ? "error" : "ok"}).inc();
        }
        finish_request(req, res, seconds);
    });
    // Bind first: a port in use fails at once, before minutes of model downloads.
    s.bound_port = s.http.start();
    s.predictor.start();
    if (s.options.model_refresh.count() > 0) s.refresher = std::thread([&s] { s.refresh_loop(); });
    log_info("serving", {{"host", s.options.host},
                         {"port", s.bound_port},
                         {"threads", s.options.threads},
                         {"io_threads", s.options.io_threads},
                         {"cache", s.options.cache}});
}

void ApiServer::stop() {
    if (!impl_) return;
    {
        std::lock_guard lock(impl_->refresh_mutex);
        impl_->stopping = true;
    }
    impl_->refresh_wake.notify_all();
    if (impl_->refresher.joinable()) impl_->refresher.join();
    impl_->http.stop();
}

int ApiServer::port() const { return impl_->bound_port; }

}  // namespace voltedge::api
