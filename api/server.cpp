#include "api/server.h"

#include <fmt/format.h>

#include <thread>

#include "api/routes.h"
#include "core/log.h"
#include "db/pool.h"
#include "registry/mlflow.h"

namespace voltedge::api {

const std::vector<Route>& routes() {
    static const std::vector<Route> r = {{"GET", "/healthz"},      {"GET", "/readyz"},  {"POST", "/predict"},
                                         {"GET", "/explain/{id}"}, {"POST", "/reload"}, {"GET", "/metrics"},
                                         {"GET", "/openapi.json"}, {"GET", "/docs"}};
    return r;
}

ServeOptions ServeOptions::from_config(const Config& c) {
    ServeOptions o;
    o.host = c.api_host;
    o.port = c.api_port;
    o.threads = c.api_threads;
    o.db_connections = static_cast<std::size_t>(c.db_pool);
    o.key_cache_ttl = std::chrono::seconds(c.key_cache_seconds);
    o.cache = c.prediction_cache;
    o.max_batch = static_cast<std::size_t>(c.max_batch);
    o.redis_ttl_seconds = c.cache_ttl_seconds;
    return o;
}

struct ApiServer::Impl {
    Config config;
    ServeOptions options;
    db::ConnectionPool pool;
    security::KeyResolver keys;
    registry::Mlflow registry;
    serving::Predictor predictor;
    Services services;
    httplib::Server http;
    Router router{http, {}};
    std::thread http_thread;
    int bound_port = 0;
    int listen_socket = -1;

    Impl(Config c, ServeOptions o)
        : config(std::move(c)),
          options(std::move(o)),
          pool(config.database_url, options.db_connections),
          keys(pool, options.key_cache_ttl),
          registry(config.mlflow_tracking_uri),
          predictor(pool, registry, config.database_url, config.redis_url,
                    {options.cache, options.redis_ttl_seconds, options.preload_models}),
          services{options, keys, predictor} {}

    void install_plumbing() {
        http.new_task_queue = [n = options.threads] { return new httplib::ThreadPool(static_cast<std::size_t>(n)); };
        http.set_tcp_nodelay(true);
        // httplib's default adds SO_REUSEPORT, which lets a second server bind the same port and silently
        // take half the connections; a port in use must be an error instead.
        http.set_socket_options([this](socket_t sock) {
            int yes = 1;
            setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
            listen_socket = sock;
        });
        http.set_keep_alive_max_count(1'000'000);
        http.set_payload_max_length(options.max_body_bytes);
        http.set_pre_routing_handler([](const auto& req, auto& res) {
            begin_request(req, res);
            return httplib::Server::HandlerResponse::Unhandled;
        });
        // Every error response is JSON naming what went wrong, including those httplib makes itself
        // (404 unknown route, 413 body too large, 400 unreadable request).
        http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
            if (current_request().request != &req) begin_request(req, res);  // rejected before routing (e.g. 413)
            if (!res.body.empty()) return;
            if (res.status == 404)
                send_error(res, 404, "path", "no route " + req.method + " " + req.path, "see GET /openapi.json or /docs");
            else if (res.status == 413)
                send_error(res, 413, "body",
                           fmt::format("the request body is too large (the limit is {} bytes)", options.max_body_bytes),
                           "split the batch; send Content-Type: application/json (form-encoded bodies are limited to 8 KiB)");
            else if (req.method == "POST" && !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
                route_empty_post(req, res);
            else
                send_error(res, res.status, "", "the request could not be read", "send a well-formed HTTP/1.1 request");
        });
        http.set_exception_handler([](const auto&, auto& res, std::exception_ptr) {
            send_error(res, 500, "", "internal error", "report request id " + current_request().request_id);
        });
        http.set_logger([](const auto& req, const auto& res) { finish_request(req, res); });
    }

    // A POST with no Content-Length and no Transfer-Encoding has an empty body (RFC 9112 §6.3).
    void route_empty_post(const httplib::Request& req, httplib::Response& res) {
        const auto route = router.posts.find(req.path);
        if (route == router.posts.end()) {
            send_error(res, 404, "path", "no route " + req.method + " " + req.path, "see GET /openapi.json or /docs");
            return;
        }
        res.status = 200;
        route->second(req, res);
    }
};

ApiServer::ApiServer(Config config, ServeOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options))) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
    auto& s = *impl_;
    s.install_plumbing();
    install_system_routes(s.router, s.services);
    install_predict_routes(s.router, s.services);
    install_admin_routes(s.router, s.services);
    // Bind first: a port in use fails at once, before minutes of model downloads.
    s.bound_port = s.options.port == 0 ? s.http.bind_to_any_port(s.options.host)
                                       : (s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1);
    if (s.bound_port <= 0)
        throw Error(fmt::format("cannot listen on {}:{}", s.options.host, s.options.port),
                    "is another voltedge serve running? set VOLTEDGE_API_PORT to another port");
    // httplib listens with a backlog of 5: a burst of new connections overflows it and the kernel drops their
    // SYNs, which clients retry only after 1, 3, 7 s. Listening again on the same socket enlarges the queue.
    ::listen(s.listen_socket, SOMAXCONN);
    s.predictor.start();
    s.http_thread = std::thread([&s] { s.http.listen_after_bind(); });
    log_info("serving",
             {{"host", s.options.host}, {"port", s.bound_port}, {"threads", s.options.threads}, {"cache", s.options.cache}});
}

void ApiServer::stop() {
    if (!impl_) return;
    auto& s = *impl_;
    s.http.stop();
    if (s.http_thread.joinable()) s.http_thread.join();
}

int ApiServer::port() const { return impl_->bound_port; }

}  // namespace voltedge::api
