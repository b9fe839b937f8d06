#include "api/server.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/api_error.h"
#include "api/auth.h"
#include "api/metrics.h"
#include "api/openapi.h"
#include "api/predict_request.h"
#include "core/log.h"
#include "db/connection.h"
#include "db/pool.h"
#include "features/feature_store.h"
#include "serving/forecast.h"
#include "serving/model_store.h"
#include "serving/prediction_cache.h"
#include "serving/prediction_store.h"

// Last: it pulls in <resolv.h>, whose `_res` macro breaks Eigen headers included after it.
#include <httplib.h>

namespace voltedge::api {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using serving::ModelBundle;

int env_int(const char* name, int fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    try {
        return std::stoi(v);
    } catch (const std::exception&) {
        throw Error(fmt::format("{}='{}' is not a number", name, v));
    }
}

// What the request log line and the metrics need to know about the request being served on this thread.
// httplib runs routing, the handler and the logger of one request on the same thread.
struct RequestContext {
    const httplib::Request* request = nullptr;
    Clock::time_point start;
    std::string request_id, tenant, route, model_version, cache;
};
thread_local RequestContext current;

// An incoming X-Request-ID is kept when it is a sane token; otherwise the server makes one.
std::string request_id_for(const httplib::Request& req) {
    const std::string incoming = req.get_header_value("X-Request-ID");
    if (!incoming.empty() && incoming.size() <= 128 &&
        std::all_of(incoming.begin(), incoming.end(), [](char c) { return c > ' ' && c < 127 && c != '"' && c != '\\'; }))
        return incoming;
    return serving::new_prediction_id();  // a UUID serves as well for requests
}

std::string iso_hour(Minute m) {
    std::string s = format_minute(m);
    s[10] = 'T';
    return s;
}

void send_json(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& field, const std::string& message,
                const std::string& hint = {}) {
    Json error = {{"status", status}, {"message", message}};
    if (!field.empty()) error["field"] = field;
    if (!hint.empty()) error["hint"] = hint;
    send_json(res, status, {{"error", error}, {"request_id", current.request_id}});
}

const char* explanation_method(const std::string& family) {
    if (family == "xgboost" || family == "random_forest") return "exact TreeSHAP (XGBoost pred_contribs)";
    if (family == "linear") return "coefficient x centred value (mean of the training inputs as reference)";
    if (family == "mlp") return "Shapley values by sampled permutations (32, fixed seed; sums exactly to the prediction)";
    return "model-specific";
}

}  // namespace

const std::vector<Route>& routes() {
    static const std::vector<Route> r = {{"GET", "/healthz"},      {"GET", "/readyz"},       {"POST", "/predict"},
                                         {"GET", "/explain/{id}"}, {"POST", "/reload"},      {"GET", "/metrics"},
                                         {"GET", "/openapi.json"}, {"GET", "/docs"}};
    return r;
}

ServeOptions ServeOptions::from_env() {
    ServeOptions o;
    if (const char* h = std::getenv("VOLTEDGE_API_HOST"); h && *h) o.host = h;
    o.port = env_int("VOLTEDGE_API_PORT", o.port);
    o.threads = env_int("VOLTEDGE_API_THREADS", o.threads);
    o.db_connections = static_cast<std::size_t>(env_int("VOLTEDGE_DB_POOL", static_cast<int>(o.db_connections)));
    o.key_cache_ttl = std::chrono::seconds(env_int("VOLTEDGE_KEY_CACHE_SECONDS", 10));
    o.max_batch = static_cast<std::size_t>(env_int("VOLTEDGE_MAX_BATCH", static_cast<int>(o.max_batch)));
    if (const char* c = std::getenv("VOLTEDGE_CACHE"); c && *c) {
        const std::string v = c;
        if (v != "on" && v != "off") throw Error("VOLTEDGE_CACHE must be 'on' or 'off' (got '" + v + "')");
        o.cache = v == "on";
    }
    if (o.threads < 1 || o.db_connections < 1 || o.max_batch < 1)
        throw Error("VOLTEDGE_API_THREADS, VOLTEDGE_DB_POOL and VOLTEDGE_MAX_BATCH must be at least 1");
    return o;
}

struct ApiServer::Impl {
    Config config;
    ServeOptions options;
    db::ConnectionPool pool;
    KeyResolver keys;
    serving::ModelStore models;
    std::shared_ptr<serving::RedisClient> redis;
    serving::PredictionCache cache;
    RequestMetrics metrics;
    httplib::Server http;
    std::thread http_thread, listener_thread;
    std::atomic<bool> stopping{false};
    int bound_port = 0;
    int listen_socket = -1;

    // What each tenant's forecasts start from: the feature build's stamp and its latest rows (enough for
    // every horizon), so forecasting the next hours needs no feature query. Dropped when the tenant's data
    // changes (NOTIFY from ingest/features) and re-read at least every 30 s in case a notification was missed.
    struct TenantData {
        features::FeatureStamp stamp;
        std::shared_ptr<const std::map<Minute, features::FeatureRow>> latest_rows;
        Clock::time_point read_at;
        bool refreshing = false;
    };
    std::shared_mutex tenant_data_mutex;
    std::mutex tenant_load_mutex;
    std::unordered_map<std::string, TenantData> tenant_data;

    Impl(Config c, ServeOptions o)
        : config(std::move(c)),
          options(std::move(o)),
          pool(config.database_url, options.db_connections),
          keys(pool, options.key_cache_ttl),
          models(config.mlflow_tracking_uri),
          redis(std::make_shared<serving::RedisClient>(config.redis_url)),
          cache(redis, 100'000, options.redis_ttl_seconds) {}

    // ---- request plumbing ----

    httplib::Server::Handler guarded(std::string route, std::function<void(const httplib::Request&, httplib::Response&)> fn) {
        return [route = std::move(route), fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
            current.route = route;
            try {
                fn(req, res);
            } catch (const ApiError& e) {
                send_error(res, e.status(), e.field(), e.what(), e.hint());
            } catch (const pqxx::broken_connection& e) {
                send_error(res, 503, "", "the database is unavailable", "retry shortly; operators: check 'make status'");
            } catch (const Error& e) {
                // Our own errors here come from a dependency (database, MLflow) or server state, not the client.
                send_error(res, 503, "", e.what(), e.hint());
            } catch (const std::exception& e) {
                log_event("error", "request_failed", {{"request_id", current.request_id}, {"route", current.route}, {"error", e.what()}});
                send_error(res, 500, "", "internal error", "report request id " + current.request_id);
            }
        };
    }

    Principal authenticate(const httplib::Request& req) {
        const std::string key = presented_key(req.get_header_value("Authorization"), req.get_header_value("X-API-Key"));
        if (key.empty())
            throw ApiError(401, "Authorization", "no API key", "send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'");
        const auto who = keys.resolve(key);
        if (!who) throw ApiError(401, "Authorization", "unknown or revoked API key", "ask an operator for a key: voltedge tenant key TENANT");
        current.tenant = who->tenant;
        return *who;
    }

    void begin(const httplib::Request& req, httplib::Response& res) {
        current = RequestContext{&req, Clock::now(), request_id_for(req), "", "", "", ""};
        res.set_header("X-Request-ID", current.request_id);
    }

    void finish(const httplib::Request& req, const httplib::Response& res) {
        if (current.request != &req) current = RequestContext{&req, Clock::now(), request_id_for(req), "", "", "", ""};  // never routed
        const double seconds = std::chrono::duration<double>(Clock::now() - current.start).count();
        const std::string route = current.route.empty() ? "unmatched" : current.route;
        metrics.observe(route, res.status, seconds);
        log_event_raw("info", "request",
                      fmt::format(R"("request_id":{},"tenant_id":{},"method":{},"route":{},"status":{},"latency_ms":{:.2f},)"
                                  R"("model_version":{},"cache":{})",
                                  json_quoted(current.request_id), json_quoted(current.tenant), json_quoted(req.method),
                                  json_quoted(route), res.status, seconds * 1e3, json_quoted(current.model_version),
                                  json_quoted(current.cache)));
        current.request = nullptr;
    }

    // ---- data ----

    static bool fresh(const TenantData& d) { return Clock::now() - d.read_at < std::chrono::seconds(30); }

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
        } catch (...) {
            std::unique_lock lock(tenant_data_mutex);
            if (auto it = tenant_data.find(tenant); it != tenant_data.end()) it->second.refreshing = false;
            throw;
        }
    }

    TenantData read_tenant_data(const std::string& tenant) {
        auto conn = pool.acquire();
        return db::with_tenant(*conn, tenant, [&](pqxx::transaction_base& tx) {
            const auto stamp = features::feature_stamp(tx);
            if (!stamp)
                throw ApiError(409, "", "tenant " + tenant + " has no features to forecast from",
                               "run 'voltedge features --tenant " + tenant + "' after ingesting data");
            auto rows = std::make_shared<std::map<Minute, features::FeatureRow>>();
            for (auto& r : features::load_feature_rows_since(tx, stamp->last_hour - (kMaxHorizonHours - 1) * 60)) rows->emplace(r.hour, r);
            return TenantData{*stamp, std::move(rows), Clock::now(), false};
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

    // Computes and stores the predictions for `plans`. Origin rows come from the tenant's latest rows when
    // they are there (forecasts of the next hours: no read at all), from the feature table otherwise.
    std::vector<serving::CachedPrediction> compute(const std::string& tenant, const ModelBundle& model, const TenantData& data,
                                                   const std::vector<serving::PlannedTarget>& plans) {
        std::vector<Minute> to_read;
        for (const auto& p : plans)
            if (!data.latest_rows->count(p.origin_hour)) to_read.push_back(p.origin_hour);
        std::map<Minute, features::FeatureRow> older;
        if (!to_read.empty()) {
            auto conn = pool.acquire();
            older = db::with_tenant(*conn, tenant, [&](pqxx::transaction_base& tx) {
                std::map<Minute, features::FeatureRow> rows;
                for (auto& r : features::load_feature_rows_at(tx, to_read)) rows.emplace(r.hour, r);
                return rows;
            });
        }
        const auto forecasts = serving::forecast(model, plans, to_read.empty() ? *data.latest_rows : merged(*data.latest_rows, std::move(older)));

        auto conn = pool.acquire();
        const auto ids = serving::store_predictions(*conn, tenant, model, forecasts, current.request_id);
        std::vector<serving::CachedPrediction> out;
        for (std::size_t i = 0; i < forecasts.size(); ++i)
            out.push_back({ids[i], forecasts[i].plan.target_hour, forecasts[i].plan.horizon, forecasts[i].value_kw});
        return out;
    }

    static std::map<Minute, features::FeatureRow> merged(const std::map<Minute, features::FeatureRow>& a,
                                                         std::map<Minute, features::FeatureRow> b) {
        b.insert(a.begin(), a.end());
        return b;
    }

    // ---- routes ----

    void predict(const httplib::Request& req, httplib::Response& res) {
        const Principal who = authenticate(req);
        const PredictRequest request = parse_predict_request(req.body, options.max_batch);
        const auto model = models.production(who.tenant);
        if (!model)
            throw ApiError(503, "", "tenant " + who.tenant + " has no model in production",
                           "train and promote one: make train promote TENANT=" + who.tenant + ", then POST /reload");
        current.model_version = model->version;
        const TenantData data = data_for(who.tenant);
        const auto plans = plan(request, *model, data.stamp);
        const auto served = serve(who.tenant, *model, data, plans, request.field);

        Json predictions = Json::array();
        for (const auto& [p, cached] : served)
            predictions.push_back({{"id", p.id}, {"target_hour", iso_hour(p.target_hour)}, {"horizon_hours", p.horizon},
                                   {"value_kw", p.value_kw}, {"cached", cached}});
        send_json(res, 200, {{"request_id", current.request_id}, {"tenant_id", who.tenant},
                             {"model", {{"name", model->name}, {"version", model->version}, {"family", model->family}}},
                             {"predictions", std::move(predictions)}});
    }

    // The target hours asked for, each with the direct model and feature row that will forecast it.
    static std::vector<serving::PlannedTarget> plan(const PredictRequest& request, const ModelBundle& model,
                                                    const features::FeatureStamp& stamp) {
        std::vector<Minute> targets = request.target_hours;
        if (request.horizon_hours) {
            if (*request.horizon_hours > model.max_horizon())
                throw ApiError(422, "horizon_hours",
                               fmt::format("horizon_hours is {}; model version {} forecasts at most {} h ahead",
                                           *request.horizon_hours, model.version, model.max_horizon()));
            targets = serving::next_hours(stamp, *request.horizon_hours);
        }
        std::vector<serving::PlannedTarget> plans;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            try {
                plans.push_back(serving::plan_target(model, stamp, targets[i]));
            } catch (const serving::TargetError& e) {
                throw ApiError(422, request.field == "target_hours" ? fmt::format("target_hours[{}]", i) : request.field, e.what(), e.hint());
            }
        }
        return plans;
    }

    // Each plan's prediction from the cache, or computed and stored; with whether it was cached.
    std::vector<std::pair<serving::CachedPrediction, bool>> serve(const std::string& tenant, const ModelBundle& model, const TenantData& data,
                                                                 const std::vector<serving::PlannedTarget>& plans, const std::string& field) {
        std::vector<std::pair<serving::CachedPrediction, bool>> out(plans.size());
        std::vector<serving::PlannedTarget> missing;
        std::vector<std::size_t> missing_at;
        const serving::CacheScope scope{tenant, model.version, data.stamp.built_at};
        std::vector<serving::PredictionCache::Lookup> found(plans.size());
        if (options.cache) {
            std::vector<Minute> targets;
            for (const auto& p : plans) targets.push_back(p.target_hour);
            found = cache.get(scope, targets);
        }
        for (std::size_t i = 0; i < plans.size(); ++i) {
            if (found[i].value) {
                out[i] = {*found[i].value, true};
            } else {
                missing.push_back(plans[i]);
                missing_at.push_back(i);
            }
        }
        if (!missing.empty()) {
            std::vector<serving::CachedPrediction> computed;
            try {
                computed = compute(tenant, model, data, missing);
            } catch (const serving::TargetError& e) {
                throw ApiError(422, field, e.what(), e.hint());
            }
            for (std::size_t k = 0; k < missing.size(); ++k) out[missing_at[k]] = {computed[k], false};
            if (options.cache) cache.put(scope, computed);
        }
        current.cache = !options.cache ? "off" : missing.empty() ? "hit" : missing.size() == plans.size() ? "miss" : "partial";
        return out;
    }

    void explain(const httplib::Request& req, httplib::Response& res) {
        const Principal who = authenticate(req);
        const std::string id = req.matches[1];
        if (!serving::is_prediction_id(id)) throw ApiError(422, "id", "'" + id + "' is not a prediction id", "use the id POST /predict returned");
        const auto p = [&] {
            auto conn = pool.acquire();
            return serving::find_prediction(*conn, who.tenant, id);
        }();
        // Another tenant's prediction is invisible under row-level security: the same 404 as a missing one.
        if (!p) throw ApiError(404, "id", "no prediction " + id);
        current.model_version = p->model_version;
        const auto model = models.version(who.tenant, p->model_version);
        const serving::HorizonModel* hm = model->for_hours(p->horizon);
        if (!hm) throw Error(fmt::format("model version {} has no {} h model", p->model_version, p->horizon));
        if (p->inputs.size() != model->features.size()) throw Error("stored inputs do not match model version " + p->model_version);
        const training::Matrix X = Eigen::Map<const training::Matrix>(p->inputs.data(), 1, static_cast<Eigen::Index>(p->inputs.size()));
        const auto e = hm->model->explain(X).front();

        std::vector<std::size_t> order(p->inputs.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](auto a, auto b) { return std::abs(e.contributions[a]) > std::abs(e.contributions[b]); });
        Json contributions = Json::array();
        double sum = e.base;
        for (std::size_t c : order) {
            contributions.push_back({{"feature", model->features[c].name}, {"value", p->inputs[c]}, {"contribution", e.contributions[c]}});
            sum += e.contributions[c];
        }
        send_json(res, 200, {{"id", id}, {"target_hour", iso_hour(p->target_hour)}, {"horizon_hours", p->horizon},
                             {"origin_hour", iso_hour(p->origin_hour)}, {"value_kw", p->value_kw},
                             {"model", {{"name", p->model_name}, {"version", p->model_version}, {"family", p->model_family}}},
                             {"method", explanation_method(model->family)}, {"base_value", e.base},
                             {"contribution_sum", sum}, {"contributions", std::move(contributions)},
                             {"global_importance", hm->global_importance}, {"request_id", p->request_id}});
    }

    void reload(const httplib::Request& req, httplib::Response& res) {
        const Principal who = authenticate(req);
        if (!who.is_admin) throw ApiError(403, "Authorization", "reloading models needs an admin key", "voltedge tenant key TENANT --admin");
        std::optional<std::string> tenant;
        if (!req.body.empty()) {
            const Json j = Json::parse(req.body, nullptr, false);
            if (j.is_discarded() || !j.is_object()) throw ApiError(400, "body", "the request body must be a JSON object or empty");
            for (const auto& [key, value] : j.items()) {
                if (key != "tenant") throw ApiError(422, key, "unknown field '" + key + "'", "the only field is tenant");
                if (!value.is_string()) throw ApiError(422, "tenant", "tenant must be a string");
                tenant = value.get<std::string>();
            }
        }
        Json out = Json::array();
        for (const auto& r : models.reload(tenant)) {
            if (r.changed) cache.drop_tenant(r.tenant);
            out.push_back({{"tenant_id", r.tenant}, {"model", r.name}, {"previous_version", r.previous_version},
                           {"version", r.version.empty() ? Json(nullptr) : Json(r.version)}, {"changed", r.changed}});
        }
        send_json(res, 200, {{"models", out}, {"request_id", current.request_id}});
    }

    void readyz(httplib::Response& res) {
        bool database = false;
        try {
            auto conn = pool.acquire();
            pqxx::nontransaction tx(*conn);
            tx.exec("SELECT 1");
            database = true;
        } catch (const std::exception&) {
        }
        const bool redis_up = redis->ping();
        const auto loaded = models.loaded();
        Json versions = Json::object();
        for (const auto& m : loaded) versions[m->tenant] = m->version;
        Json missing = Json::array();
        if (!database) missing.push_back("database");
        if (loaded.empty()) missing.push_back("model");
        if (!redis_up) missing.push_back("redis");
        const bool ready = database && !loaded.empty();
        send_json(res, ready ? 200 : 503,
                  {{"status", !ready ? "unavailable" : redis_up ? "ready" : "degraded"},
                   {"checks", {{"database", database}, {"redis", redis_up}, {"models_loaded", loaded.size()}}},
                   {"models", versions}, {"missing", missing}});
    }

    std::string render_metrics() {
        std::string out = metrics.render();
        const auto c = cache.counts();
        out += "# HELP voltedge_prediction_cache_hits_total Predictions answered from a cache, by layer.\n"
               "# TYPE voltedge_prediction_cache_hits_total counter\n";
        out += fmt::format("voltedge_prediction_cache_hits_total{{layer=\"memory\"}} {}\n", c.memory_hits);
        out += fmt::format("voltedge_prediction_cache_hits_total{{layer=\"redis\"}} {}\n", c.redis_hits);
        out += "# HELP voltedge_prediction_cache_misses_total Predictions computed because no cache had them.\n"
               "# TYPE voltedge_prediction_cache_misses_total counter\n";
        out += fmt::format("voltedge_prediction_cache_misses_total {}\n", c.misses);
        out += "# HELP voltedge_redis_up Whether the shared cache is reachable.\n# TYPE voltedge_redis_up gauge\n";
        out += fmt::format("voltedge_redis_up {}\n", redis->up() ? 1 : 0);
        out += "# HELP voltedge_model_info The model version served per tenant (value 1).\n# TYPE voltedge_model_info gauge\n";
        for (const auto& m : models.loaded())
            out += fmt::format("voltedge_model_info{{tenant=\"{}\",model=\"{}\",version=\"{}\",family=\"{}\"}} 1\n",
                               label_value(m->tenant), label_value(m->name), label_value(m->version), label_value(m->family));
        return out;
    }

    void install_routes() {
        http.Get("/healthz", guarded("/healthz", [](const auto&, auto& res) { send_json(res, 200, {{"status", "ok"}}); }));
        http.Get("/readyz", guarded("/readyz", [this](const auto&, auto& res) { readyz(res); }));
        http.Post("/predict", guarded("/predict", [this](const auto& req, auto& res) { predict(req, res); }));
        http.Get(R"(/explain/([^/]+))", guarded("/explain/{id}", [this](const auto& req, auto& res) { explain(req, res); }));
        http.Post("/reload", guarded("/reload", [this](const auto& req, auto& res) { reload(req, res); }));
        http.Get("/metrics", guarded("/metrics", [this](const auto&, auto& res) {
                     res.set_content(render_metrics(), "text/plain; version=0.0.4");
                 }));
        http.Get("/openapi.json", guarded("/openapi.json", [](const auto&, auto& res) {
                     res.set_content(openapi_document().dump(2), "application/json");
                 }));
        http.Get("/docs", guarded("/docs", [](const auto&, auto& res) { res.set_content(docs_page(), "text/html; charset=utf-8"); }));
    }

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
        http.set_pre_routing_handler([this](const auto& req, auto& res) {
            begin(req, res);
            return httplib::Server::HandlerResponse::Unhandled;
        });
        // Every error response is JSON naming what went wrong, including those httplib makes itself
        // (404 unknown route, 413 body too large, 400 unreadable request).
        http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
            if (current.request != &req) begin(req, res);  // rejected before routing (e.g. 413): no context yet
            if (!res.body.empty()) return;
            const std::size_t max = options.max_body_bytes;
            if (res.status == 404)
                send_error(res, 404, "path", "no route " + req.method + " " + req.path, "see GET /openapi.json or /docs");
            else if (res.status == 413)
                send_error(res, 413, "body", fmt::format("the request body is too large (the limit is {} bytes)", max),
                           "split the batch; send Content-Type: application/json (form-encoded bodies are limited to 8 KiB)");
            else if (req.method == "POST" && !req.has_header("Content-Length"))
                send_error(res, res.status, "body", "a POST needs a body with Content-Length", "send {} when there is nothing to say");
            else
                send_error(res, res.status, "", "the request could not be read", "send a well-formed HTTP/1.1 request");
        });
        http.set_exception_handler([](const auto&, auto& res, std::exception_ptr) {
            send_error(res, 500, "", "internal error", "report request id " + current.request_id);
        });
        http.set_logger([this](const auto& req, const auto& res) { finish(req, res); });
    }

    // LISTEN for data changes; reconnects until the server stops.
    void listen_for_data_changes() {
        struct Receiver : pqxx::notification_receiver {
            Impl& impl;
            Receiver(pqxx::connection_base& c, Impl& i) : pqxx::notification_receiver(c, db::kDataChannel), impl(i) {}
            void operator()(const std::string& payload, int) override { impl.data_changed(payload); }
        };
        while (!stopping) {
            try {
                pqxx::connection conn(config.database_url);
                Receiver receiver(conn, *this);
                while (!stopping) conn.await_notification(0, 200'000);
            } catch (const std::exception& e) {
                log_event("warn", "data_listener_reconnecting", {{"error", e.what()}});
                // Anything could have changed while we were not listening.
                {
                    std::unique_lock lock(tenant_data_mutex);
                    tenant_data.clear();
                }
                for (int i = 0; i < 10 && !stopping; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    }
};

ApiServer::ApiServer(Config config, ServeOptions options) : impl_(std::make_unique<Impl>(std::move(config), std::move(options))) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
    auto& s = *impl_;
    s.install_plumbing();
    s.install_routes();
    // Bind first: a port in use fails at once, before minutes of model downloads.
    s.bound_port = s.options.port == 0 ? s.http.bind_to_any_port(s.options.host)
                                       : (s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1);
    if (s.bound_port <= 0)
        throw Error(fmt::format("cannot listen on {}:{}", s.options.host, s.options.port),
                    "is another voltedge serve running? set VOLTEDGE_API_PORT to another port");
    // httplib listens with a backlog of 5: a burst of new connections overflows it and the kernel drops their
    // SYNs, which clients retry only after 1, 3, 7 s. Listening again on the same socket enlarges the queue.
    ::listen(s.listen_socket, SOMAXCONN);
    if (s.options.preload_models) log_info("models_loaded", {{"count", s.models.load_all()}});
    s.listener_thread = std::thread([&s] { s.listen_for_data_changes(); });
    s.http_thread = std::thread([&s] { s.http.listen_after_bind(); });
    log_info("serving", {{"host", s.options.host}, {"port", s.bound_port}, {"threads", s.options.threads},
                         {"cache", s.options.cache}, {"redis", s.redis->up()}});
}

void ApiServer::stop() {
    if (!impl_) return;
    auto& s = *impl_;
    s.stopping = true;
    s.http.stop();
    if (s.http_thread.joinable()) s.http_thread.join();
    if (s.listener_thread.joinable()) s.listener_thread.join();
}

int ApiServer::port() const { return impl_->bound_port; }

}  // namespace voltedge::api
