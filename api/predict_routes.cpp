// POST /predict and GET /explain/{id}: parse, call the Predictor, render.
#include <numeric>

#include "api/predict_request.h"
#include "api/routes.h"

namespace voltedge::api {
namespace {

Json model_json(const std::string& name, const std::string& version, const std::string& family) {
    return {{"name", name}, {"version", version}, {"family", family}};
}

void predict(Services& s, const http::Request& req, http::Response& res) {
    const security::Principal who = authenticate(s.keys, req);
    const std::string tenant = tenant_of(who);
    const serving::ForecastQuery query = parse_predict_request(req.body, s.options.max_batch);
    // The key decides canary routing, so one client sees one version while a canary runs.
    const serving::Forecasts result = s.predictor.predict(request_context(s, req, tenant, who.key_id), query);
    current_request().model_version = result.model->version;
    current_request().model_role = result.canary ? "canary" : "production";
    current_request().cache = result.cache;
    // The database could not be asked: these are the cached forecasts of the last data it gave.
    if (result.stale) res.headers.emplace_back("X-VoltEdge-Stale", "database unavailable; cached forecasts");
    Json predictions = Json::array();
    for (const auto& p : result.predictions) {
        Json one = {{"id", p.id},
                    {"target_hour", iso_hour(p.target_hour)},
                    {"horizon_hours", p.horizon},
                    {"value_kw", p.value_kw},
                    {"cached", p.cached}};
        if (p.interval) {
            one["lower_80"] = p.interval->lower_80;
            one["upper_80"] = p.interval->upper_80;
            one["lower_95"] = p.interval->lower_95;
            one["upper_95"] = p.interval->upper_95;
        }
        predictions.push_back(std::move(one));
    }
    send_json(res, 200,
              {{"request_id", current_request().request_id},
               {"tenant_id", tenant},
               {"model", model_json(result.model->name, result.model->version, result.model->family)},
               {"predictions", std::move(predictions)}});
}

void explain(Services& s, const http::Request& req, http::Response& res) {
    const std::string tenant = tenant_of(authenticate(s.keys, req));
    const auto e = s.predictor.explain(request_context(s, req, tenant), req.params.at(0));
    const auto& p = e.prediction;
    current_request().model_version = p.model_version;
    std::vector<std::size_t> order(p.inputs.size());
    std::iota(order.begin(), order.end(), 0);
    const auto& c = e.explanation.contributions;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return std::abs(c[a]) > std::abs(c[b]); });
    Json contributions = Json::array();
    double sum = e.explanation.base;
    for (std::size_t i : order) {
        contributions.push_back({{"feature", e.model->features[i].name}, {"value", p.inputs[i]}, {"contribution", c[i]}});
        sum += c[i];
    }
    send_json(res, 200,
              {{"id", p.id},
               {"target_hour", iso_hour(p.target_hour)},
               {"horizon_hours", p.horizon},
               {"origin_hour", iso_hour(p.origin_hour)},
               {"value_kw", p.value_kw},
               {"model", model_json(p.model_name, p.model_version, p.model_family)},
               {"method", e.method},
               {"base_value", e.explanation.base},
               {"contribution_sum", sum},
               {"contributions", std::move(contributions)},
               {"global_importance", e.global_importance},
               {"request_id", p.request_id}});
}

}  // namespace

void install_predict_routes(http::Server& server, Services& s) {
    server.route("POST", "/predict", guarded([&s](const auto& req, auto& res) { predict(s, req, res); }));
    server.route("GET", "/explain/{id}", guarded([&s](const auto& req, auto& res) { explain(s, req, res); }));
}

}  // namespace voltedge::api
