#include "serving/predictor.h"

#include <set>

#include "serving/canary.h"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/deadline.h"
#include "core/log.h"
#include "db/connection.h"
#include "db/redis_client.h"
#include "db/subscriber.h"
#include "features/feature_store.h"
#include "observability/metrics.h"
#include "serving/forecast.h"
#include "serving/limits.h"
#include "serving/prediction_cache.h"

namespace voltedge::serving {
namespace {

using Clock = std::chrono::steady_clock;
using Rows = std::map<Minute, features::FeatureRow>;

// What each tenant's forecasts start from: the feature build's stamp and its latest rows (enough for every
// horizon), so forecasting the next hours needs no feature query. Dropped when the tenant's data changes
// (NOTIFY from ingest/features) and re-read at least every 30 s in case a notification was missed. When the
// re-read fails because the database is unreachable, the last data read keeps serving cached forecasts
// (marked stale) until it answers again.
struct TenantData {
    features::FeatureStamp stamp;
    std::shared_ptr<const Rows> latest_rows;
    Clock::time_point read_at;
    bool refreshing = false;
    bool stale = false;
};

bool fresh(const TenantData& d) { return Clock::now() - d.read_at < std::chrono::seconds(30); }

// The model a request can use now, or the reason it cannot: the registry is never waited for here.
std::shared_ptr<const models::ModelBundle> ready_model(const ModelStore::Lookup& found, const std::string& tenant,
                                                       const std::string& which) {
    switch (found.state) {
        case ModelStore::State::ready: return found.bundle;
        case ModelStore::State::loading:
            throw ServingError(ServingError::Reason::model_loading, "", "the model of tenant " + tenant + " is loading",
                               "retry in a few seconds");
        case ModelStore::State::failed:
            throw ServingError(ServingError::Reason::model_loading, "",
                               "the model of tenant " + tenant + " could not be loaded from the registry; retrying",
                               "retry in a few seconds; operators: check the model registry");
        case ModelStore::State::none: break;
    }
    throw ServingError(ServingError::Reason::no_model, "", "tenant " + tenant + " has no model " + which,
                       "train and promote one: make train promote TENANT=" + tenant + ", then POST /reload");
}

Error db_unavailable() { return Error("the database is unavailable and this forecast is not cached", "retry shortly"); }

}  // namespace

struct Canary {
    std::string version;
    int share = 0;
};

struct Predictor::Impl {
    std::mutex canary_mutex;
    std::unordered_map<std::string, Canary> canaries;
    db::ConnectionPool& pool;
    std::string database_url;
    PredictorOptions options;
    ModelStore models;
    std::shared_ptr<db::RedisClient> redis;
    PredictionCache cache;
    std::shared_mutex tenant_data_mutex;
    std::mutex tenant_load_mutex;
    std::unordered_map<std::string, TenantData> tenant_data;

    // The canary's bundle when this request is in its share and it is loaded; else null (production serves).
    std::shared_ptr<const models::ModelBundle> canary_for(const RequestContext& ctx) {
        Canary c;
        {
            std::lock_guard lock(canary_mutex);
            const auto it = canaries.find(ctx.tenant);
            if (it == canaries.end()) return nullptr;
            c = it->second;
        }
        if (!routed_to_canary(ctx.sticky_key.empty() ? ctx.request_id : ctx.sticky_key, c.share)) return nullptr;
        const auto found = models.version(ctx.tenant, c.version);
        return found.state == ModelStore::State::ready ? found.bundle : nullptr;
    }
    std::unique_ptr<db::Subscriber> data_changes;
    observability::Registry state_metrics, tenant_metrics;

    Impl(db::ConnectionPool& p, registry::ModelRegistry& registry, std::string url, const std::string& redis_url,
         PredictorOptions o)
        : pool(p),
          database_url(std::move(url)),
          options(o),
          models(registry, o.models),
          redis(std::make_shared<db::RedisClient>(redis_url)),
          cache(redis, 100'000, o.redis_ttl_seconds) {}

    // One thread re-reads a tenant's data while the others keep using what they have: a stampede of
    // identical reads on expiry would stall every request at once.
    TenantData data_for(const std::string& tenant) {
        {
            std::shared_lock lock(tenant_data_mutex);
            if (auto it = tenant_data.find(tenant); it != tenant_data.end() && fresh(it->second)) return it->second;
        }
        {
            std::unique_lock lock(tenant_data_mutex);
            if (auto it = tenant_data.find(tenant); it != tenant_data.end()) {
                if (fresh(it->second) || it->second.refreshing) return it->second;
                it->second.refreshing = true;
            }
        }
        std::lock_guard loading(tenant_load_mutex);
        {
            std::shared_lock lock(tenant_data_mutex);  // loaded by another thread while this one waited?
            if (auto it = tenant_data.find(tenant); it != tenant_data.end() && fresh(it->second)) return it->second;
        }
        try {
            TenantData data = read_tenant_data(tenant);
            std::unique_lock lock(tenant_data_mutex);
            tenant_data[tenant] = data;
            return data;
        } catch (const ServingError&) {
            std::unique_lock lock(tenant_data_mutex);
            if (auto it = tenant_data.find(tenant); it != tenant_data.end()) it->second.refreshing = false;
            throw;
        } catch (const std::exception& e) {
            // The database did not answer: serve from what was read last, if anything, and ask again next time.
            std::unique_lock lock(tenant_data_mutex);
            const auto it = tenant_data.find(tenant);
            if (it == tenant_data.end()) throw;
            it->second.refreshing = false;
            log_event("warn", "serving_stale_data", {{"tenant_id", tenant}, {"error", e.what()}});
            TenantData stale = it->second;
            stale.stale = true;
            return stale;
        }
    }

    TenantData read_tenant_data(const std::string& tenant) {
        return pool.read([&](pqxx::connection& conn) {
            return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
                const auto stamp = features::feature_stamp(tx);
                if (!stamp)
                    throw ServingError(ServingError::Reason::no_features, "",
                                       "tenant " + tenant + " has no features to forecast from",
                                       "run 'voltedge features --tenant " + tenant + "' after ingesting data");
                auto rows = std::make_shared<Rows>();
                for (auto& r : features::load_feature_rows_since(tx, stamp->last_hour - (kMaxHorizonHours - 1) * 60))
                    rows->emplace(r.hour, r);
                return TenantData{*stamp, std::move(rows), Clock::now(), false, false};
            });
        });
    }

    bool tenant_exists(const std::string& tenant) {
        return pool.read([&](pqxx::connection& conn) {
            db::QuerySpan span(conn, "tenant_exists");
            pqxx::read_transaction tx(conn);
            db::set_tenant(tx, tenant);
            return !tx.exec_params("SELECT 1 FROM tenants WHERE tenant_id = $1", tenant).empty();
        });
    }

    void data_changed(const std::string& tenant) {
        {
            std::unique_lock lock(tenant_data_mutex);
            tenant_data.erase(tenant);
        }
        cache.drop_tenant(tenant);
        log_info("data_changed", {{"tenant_id", tenant}});
    }

    // Anything could have changed while nobody listened: every tenant's data is read again on its next
    // request, and kept until then so that an unreachable database still leaves the cached forecasts.
    void recheck_all_data() {
        std::unique_lock lock(tenant_data_mutex);
        for (auto& [tenant, data] : tenant_data) data.read_at = Clock::time_point{};
    }

    // The target hours asked for, each with the direct model and feature row that will forecast it.
    static std::vector<PlannedTarget> plan(const ForecastQuery& query, const models::ModelBundle& model,
                                           const features::FeatureStamp& stamp) {
        std::vector<Minute> targets = query.target_hours;
        if (query.horizon_hours) {
            if (*query.horizon_hours > model.max_horizon())
                throw ServingError(ServingError::Reason::bad_request, "horizon_hours",
                                   fmt::format("horizon_hours is {}; model version {} forecasts at most {} h ahead",
                                               *query.horizon_hours, model.version, model.max_horizon()));
            targets = next_hours(stamp, *query.horizon_hours);
        }
        std::vector<PlannedTarget> plans;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            try {
                plans.push_back(plan_target(model, stamp, targets[i]));
            } catch (const TargetError& e) {
                throw ServingError(ServingError::Reason::bad_request,
                                   query.field == "target_hours" ? fmt::format("target_hours[{}]", i) : query.field, e.what(),
                                   e.hint());
            }
        }
        return plans;
    }

    // Computes and stores the predictions for `plans`. Origin rows come from the tenant's latest rows when
    // they are there (forecasts of the next hours: no read at all), from the feature table otherwise.
    std::vector<CachedPrediction> compute(const RequestContext& ctx, const models::ModelBundle& model, const TenantData& data,
                                          const std::vector<PlannedTarget>& plans) {
        std::vector<Minute> to_read;
        for (const auto& p : plans)
            if (!data.latest_rows->count(p.origin_hour)) to_read.push_back(p.origin_hour);
        Rows older;
        if (!to_read.empty()) {
            older = pool.read([&](pqxx::connection& conn) {
                return db::with_tenant(conn, ctx.tenant, [&](pqxx::transaction_base& tx) {
                    Rows rows;
                    for (auto& r : features::load_feature_rows_at(tx, to_read)) rows.emplace(r.hour, r);
                    return rows;
                });
            });
            older.insert(data.latest_rows->begin(), data.latest_rows->end());
        }
        const auto forecasts = forecast(model, plans, to_read.empty() ? *data.latest_rows : older);
        check_deadline("before storing");
        auto conn = pool.acquire();
        const auto ids = store_predictions(*conn, ctx.tenant, model, forecasts, ctx.request_id);
        std::vector<CachedPrediction> out;
        for (std::size_t i = 0; i < forecasts.size(); ++i)
            out.push_back(
                {ids[i], forecasts[i].plan.target_hour, forecasts[i].plan.lead, forecasts[i].value_kw, forecasts[i].interval});
        return out;
    }

    // Each plan's prediction from the cache, or computed and stored.
    Forecasts serve(const RequestContext& ctx, std::shared_ptr<const models::ModelBundle> model, const TenantData& data,
                    const std::vector<PlannedTarget>& plans, const std::string& field) {
        Forecasts out{model, std::vector<ServedPrediction>(plans.size()), "off", data.stale};
        const CacheScope scope{ctx.tenant, model->version, data.stamp.built_at};
        std::vector<PredictionCache::Lookup> found(plans.size());
        if (options.cache) {
            std::vector<Minute> targets;
            for (const auto& p : plans) targets.push_back(p.target_hour);
            found = cache.get(scope, targets);
        }
        std::vector<PlannedTarget> missing;
        std::vector<std::size_t> missing_at;
        for (std::size_t i = 0; i < plans.size(); ++i) {
            if (found[i].value) {
                const auto& v = *found[i].value;
                out.predictions[i] = {v.id, v.target_hour, v.horizon, v.value_kw, v.interval, true};
            } else {
                missing.push_back(plans[i]);
                missing_at.push_back(i);
            }
        }
        if (!missing.empty()) {
            if (data.stale)  // storing would fail too: say so at once
                throw db_unavailable();
            std::vector<CachedPrediction> computed;
            try {
                computed = compute(ctx, *model, data, missing);
            } catch (const TargetError& e) {
                throw ServingError(ServingError::Reason::bad_request, field, e.what(), e.hint());
            }
            for (std::size_t k = 0; k < missing.size(); ++k) {
                const auto& v = computed[k];
                out.predictions[missing_at[k]] = {v.id, v.target_hour, v.horizon, v.value_kw, v.interval, false};
            }
            if (options.cache) cache.put(scope, computed);
        }
        if (options.cache) out.cache = missing.empty() ? "hit" : missing.size() == plans.size() ? "miss" : "partial";
        return out;
    }
};

Predictor::Predictor(db::ConnectionPool& pool, registry::ModelRegistry& registry, const std::string& database_url,
                     const std::string& redis_url, PredictorOptions options)
    : impl_(std::make_unique<Impl>(pool, registry, database_url, redis_url, options)) {
    Impl& s = *impl_;
    s.state_metrics.gauge_callback("voltedge_redis_up", "Whether the shared cache is reachable.",
                                   [&s] { return s.redis->up() ? 1.0 : 0.0; });
    s.tenant_metrics.gauge_callback("voltedge_model_info", "The model version served per tenant (value 1).",
                                    {"tenant", "model", "version", "family"}, [&s] {
                                        observability::GaugeSamples out;
                                        for (const auto& m : s.models.loaded())
                                            out.push_back({{m->tenant, m->name, m->version, m->family}, 1});
                                        return out;
                                    });
    s.tenant_metrics.gauge_callback("voltedge_canary_share", "Share (0..1) of a tenant's forecasts routed to its canary version.",
                                    {"tenant", "version"}, [&s] {
                                        observability::GaugeSamples out;
                                        std::lock_guard lock(s.canary_mutex);
                                        for (const auto& [tenant, c] : s.canaries)
                                            out.push_back({{tenant, c.version}, c.share / 100.0});
                                        return out;
                                    });
}

std::string Predictor::render_state_metrics(bool tenant_detail) const {
    return impl_->state_metrics.render() + (tenant_detail ? impl_->tenant_metrics.render() : std::string());
}

Predictor::~Predictor() = default;

void Predictor::start() {
    if (impl_->options.preload_models) impl_->models.load_all_in_background();
    Impl& s = *impl_;
    s.data_changes = std::make_unique<db::Subscriber>(
        s.database_url, db::kDataChannel, [&s](const std::string& tenant) { s.data_changed(tenant); },
        [&s] { s.recheck_all_data(); });
}

Forecasts Predictor::predict(const RequestContext& ctx, const ForecastQuery& query) {
    ScopedDeadline deadline(ctx.deadline);
    auto model = ready_model(impl_->models.production(ctx.tenant), ctx.tenant, "in production");
    auto canary = impl_->canary_for(ctx);
    if (canary) model = canary;
    const TenantData data = impl_->data_for(ctx.tenant);
    const auto plans = Impl::plan(query, *model, data.stamp);
    Forecasts out = impl_->serve(ctx, std::move(model), data, plans, query.field);
    out.canary = canary != nullptr;
    return out;
}

ExplainedPrediction Predictor::explain(const RequestContext& ctx, const std::string& id) {
    ScopedDeadline deadline(ctx.deadline);
    if (!is_prediction_id(id))
        throw ServingError(ServingError::Reason::bad_request, "id", "'" + id + "' is not a prediction id",
                           "use the id POST /predict returned");
    auto p = impl_->pool.read([&](pqxx::connection& conn) { return find_prediction(conn, ctx.tenant, id); });
    // Another tenant's prediction is invisible under row-level security: the same answer as a missing one.
    if (!p) throw ServingError(ServingError::Reason::not_found, "id", "no prediction " + id);
    auto model = ready_model(impl_->models.version(ctx.tenant, p->model_version), ctx.tenant, "version " + p->model_version);
    const models::HorizonModel* hm = model->for_lead(p->horizon);
    if (!hm) throw Error(fmt::format("model version {} has no model for lead {} h", p->model_version, p->horizon));
    if (p->inputs.size() != model->features.size()) throw Error("stored inputs do not match model version " + p->model_version);
    const models::Matrix X = Eigen::Map<const models::Matrix>(p->inputs.data(), 1, static_cast<Eigen::Index>(p->inputs.size()));
    auto explanation = hm->model->explain(X).front();
    return {std::move(*p), model, std::move(explanation), hm->global_importance,
            std::string(model->family_info->explanation_method)};
}

std::vector<ModelStore::ReloadResult> Predictor::reload(const RequestContext& ctx, const std::optional<std::string>& tenant) {
    ScopedDeadline deadline(ctx.deadline);
    // Only tenants that exist reach the model store: a made-up name costs nothing and is not remembered.
    if (tenant && !impl_->tenant_exists(*tenant))
        throw ServingError(ServingError::Reason::not_found, "tenant", "no tenant '" + *tenant + "'");
    auto results = impl_->models.reload(tenant);
    for (const auto& r : results)
        if (r.changed) impl_->cache.drop_tenant(r.tenant);
    return results;
}

Readiness Predictor::readiness() {
    Readiness r;
    try {
        ScopedDeadline deadline(Clock::now() + std::chrono::seconds(2));
        impl_->pool.read([](pqxx::connection& conn) {
            pqxx::nontransaction tx(conn);
            db::bound_by_deadline(tx);
            tx.exec("SELECT 1");
        });
        r.database = true;
    } catch (const std::exception&) {
    }
    r.redis = impl_->redis->ping();
    r.models = impl_->models.loaded();
    r.model_loads_pending = impl_->models.loads_pending();
    r.db_connections_replaced = impl_->pool.replaced();
    return r;
}

void Predictor::set_canary(const std::string& tenant, const std::string& version, int share) {
    std::lock_guard lock(impl_->canary_mutex);
    if (version.empty() || share <= 0)
        impl_->canaries.erase(tenant);
    else
        impl_->canaries[tenant] = {version, share};
}

std::vector<std::string> Predictor::served_tenants() const {
    std::set<std::string> tenants;
    for (const auto& m : impl_->models.loaded()) tenants.insert(m->tenant);
    return {tenants.begin(), tenants.end()};
}

}  // namespace voltedge::serving
