// Probes, metrics and documentation: no key needed (an operator key adds per-tenant detail).
#include "api/openapi.h"
#include "api/routes.h"
#include "observability/metrics.h"

namespace voltedge::api {
namespace {

// Anyone may ask whether the API is ready; which tenants it serves, with which versions, only an operator.
void readyz(Services& s, const http::Request& req, http::Response& res) {
    const bool detail = is_operator(s, req);
    const serving::Readiness r = s.predictor.readiness();
    Json missing = Json::array();
    if (!r.database) missing.push_back("database");
    if (r.models.empty()) missing.push_back("model");
    if (!r.redis) missing.push_back("redis");
    const bool ready = r.database && !r.models.empty();
    Json body = {{"status", !ready    ? "unavailable"
                            : r.redis ? "ready"
                                      : "degraded"},
                 {"checks", {{"database", r.database}, {"redis", r.redis}, {"models_loaded", r.models.size()}}},
                 {"missing", missing}};
    if (detail) {
        Json versions = Json::object();
        for (const auto& m : r.models) versions[m->tenant] = m->version;
        body["models"] = versions;
        body["model_loads_pending"] = r.model_loads_pending;
        body["db_connections_replaced"] = r.db_connections_replaced;
    }
    send_json(res, ready ? 200 : 503, body);
}

}  // namespace

void install_system_routes(http::Server& server, Services& s) {
    const auto content = [](http::Response& res, std::string body, const char* type) {
        res.body = std::move(body);
        res.content_type = type;
    };
    server.route("GET", "/healthz", guarded([](const auto&, auto& res) { send_json(res, 200, {{"status", "ok"}}); }));
    server.route("GET", "/readyz", guarded([&s](const auto& req, auto& res) { readyz(s, req, res); }));
    // Process-wide metrics (by route, status, cache layer) for anyone; per-tenant state for operators only.
    server.route("GET", "/metrics", guarded([&s, content](const auto& req, auto& res) {
                     std::string text = observability::metrics().render() + s.predictor.render_state_metrics(is_operator(s, req));
                     content(res, std::move(text), "text/plain; version=0.0.4");
                 }));
    server.route("GET", "/openapi.json", guarded([&s, content](const auto&, auto& res) {
                     content(res, openapi_document(s.options.max_batch).dump(2), "application/json");
                 }));
    server.route("GET", "/docs", guarded([&s, content](const auto&, auto& res) {
                     content(res, docs_page(s.options.max_batch), "text/html; charset=utf-8");
                 }));
}

}  // namespace voltedge::api
