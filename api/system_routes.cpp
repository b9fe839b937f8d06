// Probes, metrics and documentation: no key needed.
#include "api/openapi.h"
#include "api/routes.h"
#include "observability/metrics.h"

namespace voltedge::api {
namespace {

void readyz(Services& s, http::Response& res) {
    const serving::Readiness r = s.predictor.readiness();
    Json versions = Json::object();
    for (const auto& m : r.models) versions[m->tenant] = m->version;
    Json missing = Json::array();
    if (!r.database) missing.push_back("database");
    if (r.models.empty()) missing.push_back("model");
    if (!r.redis) missing.push_back("redis");
    const bool ready = r.database && !r.models.empty();
    send_json(res, ready ? 200 : 503,
              {{"status", !ready    ? "unavailable"
                          : r.redis ? "ready"
                                    : "degraded"},
               {"checks", {{"database", r.database}, {"redis", r.redis}, {"models_loaded", r.models.size()}}},
               {"models", versions},
               {"missing", missing}});
}

}  // namespace

void install_system_routes(http::Server& server, Services& s) {
    const auto content = [](http::Response& res, std::string body, const char* type) {
        res.body = std::move(body);
        res.content_type = type;
    };
    server.route("GET", "/healthz", guarded([](const auto&, auto& res) { send_json(res, 200, {{"status", "ok"}}); }));
    server.route("GET", "/readyz", guarded([&s](const auto&, auto& res) { readyz(s, res); }));
    server.route("GET", "/metrics", guarded([&s, content](const auto&, auto& res) {
                     content(res, observability::metrics().render() + s.predictor.render_state_metrics(),
                             "text/plain; version=0.0.4");
                 }));
    server.route("GET", "/openapi.json", guarded([&s, content](const auto&, auto& res) {
                     content(res, openapi_document(s.options.max_batch).dump(2), "application/json");
                 }));
    server.route("GET", "/docs", guarded([&s, content](const auto&, auto& res) {
                     content(res, docs_page(s.options.max_batch), "text/html; charset=utf-8");
                 }));
}

}  // namespace voltedge::api
