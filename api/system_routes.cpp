// Probes, metrics and documentation: no key needed.
#include "api/openapi.h"
#include "api/routes.h"
#include "observability/metrics.h"

namespace voltedge::api {
namespace {

void readyz(Services& s, httplib::Response& res) {
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

void install_system_routes(Router& router, Services& s) {
    router.get("/healthz", guarded("/healthz", [](const auto&, auto& res) { send_json(res, 200, {{"status", "ok"}}); }));
    router.get("/readyz", guarded("/readyz", [&s](const auto&, auto& res) { readyz(s, res); }));
    router.get("/metrics", guarded("/metrics", [&s](const auto&, auto& res) {
                   res.set_content(observability::metrics().render() + s.predictor.render_state_metrics(),
                                   "text/plain; version=0.0.4");
               }));
    router.get("/openapi.json", guarded("/openapi.json", [&s](const auto&, auto& res) {
                   res.set_content(openapi_document(s.options.max_batch).dump(2), "application/json");
               }));
    router.get("/docs", guarded("/docs", [&s](const auto&, auto& res) {
                   res.set_content(docs_page(s.options.max_batch), "text/html; charset=utf-8");
               }));
}

}  // namespace voltedge::api
