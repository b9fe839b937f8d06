#pragma once
// The forecasting use case, apart from any transport: the API, the agent's forecast tool, batch scoring
// and canary evaluation all call it. For a tenant it plans the target hours, answers them from the cache or
// computes them with the tenant's production model, stores every prediction (so it can be explained), and
// explains stored ones with the model version that made them.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/civil_time.h"
#include "core/error.h"
#include "db/pool.h"
#include "models/bundle.h"
#include "registry/model_registry.h"
#include "serving/model_store.h"
#include "serving/prediction_store.h"

namespace voltedge::serving {

// Who is asking and by when: every call runs for one tenant, under one request (or job) id.
struct RequestContext {
    std::string request_id, tenant;
    std::string sticky_key;  // decides canary routing (the API key's id: one client, one version); empty: request_id
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// Why a request cannot be served, in words the caller can act on; `field` names the part of the request
// at fault (e.g. "target_hours[3]"), when there is one.
class ServingError : public Error {
public:
    enum class Reason {
        bad_request,    // the targets asked for cannot be forecast (422)
        not_found,      // no such prediction for this tenant (404)
        no_features,    // the tenant has no feature data yet (409)
        no_model,       // the tenant has no production model (503)
        model_loading,  // the model is being fetched from the registry, or its last fetch failed (503, retry)
    };
    ServingError(Reason reason, std::string field, std::string what, std::string hint = {})
        : Error(std::move(what), std::move(hint)), reason_(reason), field_(std::move(field)) {}
    Reason reason() const { return reason_; }
    const std::string& field() const { return field_; }

private:
    Reason reason_;
    std::string field_;
};

// Exactly one of horizon_hours (the next N hours after the tenant's data) or target_hours.
struct ForecastQuery {
    std::string field;  // the request's name for what was asked ("horizon_hours", "target_hour", "target_hours")
    std::optional<int> horizon_hours;
    std::vector<Minute> target_hours;
};

struct ServedPrediction {
    std::string id;
    Minute target_hour = 0;
    int horizon = 0;
    double value_kw = 0;
    std::optional<models::Interval> interval;  // 80 % and 95 % (models/intervals.h)
    bool cached = false;
};

struct Forecasts {
    std::shared_ptr<const models::ModelBundle> model;
    std::vector<ServedPrediction> predictions;  // in the order asked
    std::string cache;                          // "hit", "miss", "partial" or "off"
    // Served from the tenant's last known data because the database could not be asked (every prediction
    // came from the cache; an uncached one would have failed).
    bool stale = false;
    bool canary = false;  // served by the tenant's canary version (serving/canary.h)
};

struct ExplainedPrediction {
    StoredPrediction prediction;
    std::shared_ptr<const models::ModelBundle> model;
    models::Explanation explanation;  // base + contributions in input order
    nlohmann::json global_importance;
    std::string method;
};

struct Readiness {
    bool database = false, redis = false;
    std::vector<std::shared_ptr<const models::ModelBundle>> models;
    std::size_t model_loads_pending = 0;
    std::size_t db_connections_replaced = 0;
};

struct PredictorOptions {
    bool cache = true;  // false: every prediction is computed and stored (benchmarks)
    int redis_ttl_seconds = 3600;
    bool preload_models = true;  // false: each tenant's model loads on its first request (tests)
    ModelStoreOptions models;
};

class Predictor {
public:
    // `pool` and `registry` must outlive the predictor. database_url is for the data-change subscription.
    Predictor(db::ConnectionPool& pool, registry::ModelRegistry& registry, const std::string& database_url,
              const std::string& redis_url, PredictorOptions options);
    ~Predictor();

    // Starts loading every tenant's production model in the background (when preload_models) and listening
    // for data changes; returns at once.
    void start();

    // Each call runs under ctx.deadline: its database statements and registry calls give up when it passes.
    Forecasts predict(const RequestContext& ctx, const ForecastQuery& query);
    ExplainedPrediction explain(const RequestContext& ctx, const std::string& prediction_id);
    // Re-reads the production alias of `tenant` (ServingError not_found when no such tenant exists) or, with
    // nullopt, of every tenant; drops the cache of tenants whose model changed.
    std::vector<ModelStore::ReloadResult> reload(const RequestContext& ctx, const std::optional<std::string>& tenant);
    Readiness readiness();
    // Tenants with a model in memory (whose production alias a refresh re-reads).
    std::vector<std::string> served_tenants() const;
    // Serves `version` to `share` percent of the tenant's requests (serving/canary.h); share 0 or no version:
    // production only. A canary that is not loaded yet, or fails to load, leaves its requests on production.
    void set_canary(const std::string& tenant, const std::string& version, int share);
    // This instance's state in Prometheus text: whether Redis is up and, with tenant_detail, the model served
    // per tenant. (Counters are process-wide, in observability::metrics().)
    std::string render_state_metrics(bool tenant_detail) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace voltedge::serving
