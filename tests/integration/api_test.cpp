// The prediction API end to end, in process, against the real stack: Postgres (RLS), MLflow (models), and a
// private Redis the tests can stop and start again.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api/openapi.h"
#include "api/server.h"
#include "core/civil_time.h"
#include "db/connection.h"
#include "db/pool.h"
#include "features/calendar.h"
#include "features/feature_store.h"
#include "http/client.h"
#include "models/bundle.h"
#include "registry/mlflow.h"
#include "security/tenants.h"
#include "serving/promotion.h"
#include "support.h"
#include "training/train.h"

using namespace voltedge;
using Json = nlohmann::json;

namespace {

using test::free_port;
using test::Reply;

// Sends `request` as written (then closes our side) and returns the response's status code (0: none).
int raw_status(int port, const std::string& request) {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 0;
    ::send(s, request.data(), request.size(), 0);
    std::string response(4096, '\0');
    const auto n = recv(s, response.data(), response.size(), MSG_WAITALL);
    close(s);
    if (n < 12 || response.compare(0, 9, "HTTP/1.1 ") != 0) return 0;
    return std::stoi(response.substr(9, 3));
}

// A real redis-server of our own, so a test can take it down without disturbing the shared one.
class PrivateRedis {
public:
    PrivateRedis() : port_(free_port()) { start(); }
    ~PrivateRedis() { stop(); }
    void start() {
        pid_ = fork();
        if (pid_ == 0) {
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
            const std::string port = std::to_string(port_);
            execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                   "no", "--loglevel", "warning", nullptr);
            _exit(127);
        }
        for (int i = 0; i < 100; ++i) {  // until it accepts connections
            const int s = socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(static_cast<uint16_t>(port_));
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            const bool up = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            close(s);
            if (up) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        FAIL() << "redis-server did not start";
    }
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

private:
    int port_;
    pid_t pid_ = -1;
};

class ApiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // Tenant a serves a tree model (TreeSHAP) with the daylight inputs of its location, tenant b a linear one
        // (coefficient x centred value) without.
        tenant_a = test::new_tenant("api-a");
        tenant_b = test::new_tenant("api-b");
        test::insert_usage(tenant_a, 40);
        test::train_and_promote(tenant_a, "xgboost",
                                R"("location": {"latitude": 48.78, "longitude": 2.29, "utc_offset_hours": 1})");
        test::insert_usage(tenant_b, 40);
        test::train_and_promote(tenant_b, "linear");
        key_a = security::issue_api_key(test::config().database_admin_url, tenant_a, false, "test");
        key_b = security::issue_api_key(test::config().database_admin_url, tenant_b, false, "test");
        admin_key = security::issue_api_key(test::config().database_admin_url, tenant_a, true, "test");
        operator_key = security::issue_operator_key(test::config().database_admin_url, "test");

        redis = new PrivateRedis();
        Config config = test::config();
        config.redis_url = redis->url();
        api::ServeOptions options = test::serve_options(16);
        options.db_connections = 4;
        options.key_cache_ttl = std::chrono::milliseconds(0);  // revocation takes effect at once
        server = new api::ApiServer(config, options);
        server->start();
        for (const auto& key : {key_a, key_b}) wait_for_model(key);
    }
    static void TearDownTestSuite() {
        delete server;
        delete redis;
    }

    static Reply call(const std::string& method, const std::string& path, const std::string& key, const std::string& body = "",
                      std::vector<std::string> headers = {}, int port = 0) {
        return test::call_api(port ? port : server->port(), method, path, key, body, std::move(headers));
    }
    static Reply predict(const std::string& key, const Json& body) { return call("POST", "/predict", key, body.dump()); }

    // Models load in the background: until the key's tenant's model is in, /predict answers 503 "loading".
    static void wait_for_model(const std::string& key, int port = 0) {
        for (int i = 0; i < 300; ++i) {
            const Reply r = call("POST", "/predict", key, R"({"horizon_hours": 1})", {}, port);
            if (r.status != 503) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL() << "the model did not load in 30 s";
    }

    static std::string metric(const std::string& name) {
        const std::string text = call("GET", "/metrics", "").text;
        const auto at = text.find("\n" + name + " ");
        return at == std::string::npos ? "" : text.substr(at + name.size() + 2, text.find('\n', at + 1) - at - name.size() - 2);
    }

    static inline std::string tenant_a, tenant_b, key_a, key_b, admin_key, operator_key;
    static inline PrivateRedis* redis = nullptr;
    static inline api::ApiServer* server = nullptr;
};

// The API's numbers are the offline model's: same bundle from MLflow, same feature rows, same inputs.
TEST_F(ApiTest, PredictionsEqualTheOfflineModelAndAreStored) {
    const Reply r = predict(key_a, {{"horizon_hours", 24}});
    ASSERT_EQ(r.status, 200) << r.text;
    ASSERT_EQ(r.body["predictions"].size(), 24u);
    EXPECT_EQ(r.body["model"]["family"], "xgboost");

    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const auto version = mlflow.alias(tenant_a, "production");
    const auto bundle = models::load_bundle({tenant_a, version->name, version->version},
                                            [&](const std::string& path) { return mlflow.fetch(*version, path); });
    EXPECT_EQ(r.body["model"]["version"], version->version);
    auto conn = db::connect(test::config().database_url);
    const auto rows = db::with_tenant(conn, tenant_a, [](auto& tx) { return features::load_feature_rows(tx); });
    const Minute last = rows.back().hour;  // the trailing row: first hour without data
    for (std::size_t i = 0; i < 24; ++i) {
        const auto& p = r.body["predictions"][i];
        const Minute target = last + static_cast<Minute>(i) * 60;
        EXPECT_EQ(p["target_hour"], [&] {
            auto s = format_minute(target);
            s[10] = 'T';
            return s;
        }());
        // Every lead from the trailing row (everything known at the origin), through its bucket's model.
        const int h = p["horizon_hours"];
        EXPECT_EQ(h, static_cast<int>(i) + 1);
        models::Matrix X(1, static_cast<Eigen::Index>(bundle->features.size()));
        models::fill_input(rows.back(), target, h, bundle->inputs, X.row(0).data());
        EXPECT_DOUBLE_EQ(p["value_kw"].get<double>(), bundle->for_lead(h)->model->predict(X)[0]) << i;
        // With the bundle's intervals for that lead and the target's daypart, nested 95 % around 80 %.
        const auto interval = bundle->intervals.around(p["value_kw"], h, features::calendar_of(target).daypart,
                                                       models::ConformalIntervals::level_of(X.row(0).data()));
        ASSERT_TRUE(interval) << i;
        EXPECT_DOUBLE_EQ(p["lower_80"].get<double>(), interval->lower_80);
        EXPECT_DOUBLE_EQ(p["upper_95"].get<double>(), interval->upper_95);
        EXPECT_LE(p["lower_95"].get<double>(), p["lower_80"].get<double>());
        EXPECT_LE(p["lower_80"].get<double>(), p["upper_80"].get<double>());
        EXPECT_LE(p["upper_80"].get<double>(), p["upper_95"].get<double>());
    }
    // Stored with tenant, target, horizon, value, model and request id.
    const std::string id = r.body["predictions"][5]["id"];
    const auto stored = db::with_tenant(conn, tenant_a, [&](auto& tx) {
        return tx.exec_params(
            "SELECT value_kw, horizon_hours, model_name, model_version, request_id, tenant_id, upper_95 FROM predictions "
            "WHERE id = $1",
            id);
    });
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_DOUBLE_EQ(stored[0][0].as<double>(), r.body["predictions"][5]["value_kw"].get<double>());
    EXPECT_EQ(stored[0][1].as<int>(), 6);  // the lead: sixth hour after the data
    EXPECT_EQ(stored[0][2].as<std::string>(), mlflow.model_name(tenant_a));
    EXPECT_EQ(stored[0][3].as<std::string>(), version->version);
    EXPECT_EQ(stored[0][4].as<std::string>(), r.body["request_id"]);
    EXPECT_EQ(stored[0][5].as<std::string>(), tenant_a);
    EXPECT_DOUBLE_EQ(stored[0][6].as<double>(), r.body["predictions"][5]["upper_95"].get<double>());
}

TEST_F(ApiTest, ExplanationsSumToThePrediction) {
    for (const auto& key : {key_a, key_b}) {
        const Reply r = predict(key, {{"target_hours", {"2009-01-20T10:00", "2009-01-20T11:00:00", "2009-01-20 12:00"}}});
        ASSERT_EQ(r.status, 200) << r.text;
        for (const auto& p : r.body["predictions"]) {
            const Reply e = call("GET", "/explain/" + p["id"].get<std::string>(), key);
            ASSERT_EQ(e.status, 200) << e.text;
            double sum = e.body["base_value"];
            for (const auto& c : e.body["contributions"]) sum += c["contribution"].get<double>();
            EXPECT_NEAR(sum, p["value_kw"].get<double>(), 1e-4);
            EXPECT_NEAR(e.body["contribution_sum"].get<double>(), p["value_kw"].get<double>(), 1e-4);
            auto groups = training::TrainConfig{}.input_groups;
            if (key == key_a) groups.push_back("daylight");
            const auto inputs = models::model_features({false, groups, std::nullopt});
            std::multiset<std::string> expected, explained;  // one contribution per input, largest first
            for (const auto& f : inputs) expected.insert(f.name);
            for (const auto& c : e.body["contributions"]) explained.insert(c["feature"].get<std::string>());
            EXPECT_EQ(explained, expected);
            if (key == key_a) {  // served from the location the model was trained with
                std::string text = p["target_hour"];
                text[10] = ' ';
                const Minute target = *parse_minute(text);
                const double middle = static_cast<double>(target % 1440) / 60 + 0.5;
                const auto sun = features::daylight_of(target, {48.78, 2.29, 1});
                int checked = 0;
                for (const auto& c : e.body["contributions"]) {
                    if (c["feature"] != "hours_after_sunset") continue;
                    EXPECT_NEAR(c["value"].get<double>(), middle - sun.sunset, 1e-9);
                    ++checked;
                }
                EXPECT_EQ(checked, 1);
            }
            EXPECT_FALSE(e.body["global_importance"].empty());
            EXPECT_EQ(e.body["value_kw"], p["value_kw"]);
        }
    }
    EXPECT_NE(call("GET", "/explain/" + predict(key_a, {{"horizon_hours", 1}}).body["predictions"][0]["id"].get<std::string>(),
                   key_a)
                  .body["method"]
                  .get<std::string>()
                  .find("TreeSHAP"),
              std::string::npos);
}

TEST_F(ApiTest, RepeatedForecastsComeFromTheCacheAndNewDataInvalidates) {
    const Reply first = predict(key_b, {{"horizon_hours", 3}});
    const Reply second = predict(key_b, {{"horizon_hours", 3}});
    ASSERT_EQ(second.status, 200);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(second.body["predictions"][i]["id"], first.body["predictions"][i]["id"]);
        EXPECT_TRUE(second.body["predictions"][i]["cached"].get<bool>());
    }
    EXPECT_NE(metric("voltedge_prediction_cache_hits_total{layer=\"memory\"}"), "0");
    EXPECT_NE(metric("voltedge_prediction_cache_misses_total"), "0");

    // A feature rebuild (new data) notifies the server: the next request is computed afresh.
    auto conn = db::connect(test::config().database_url);
    features::FeatureOptions o;
    o.tenant = tenant_b;
    features::build_features(conn, o);
    bool fresh = false;
    for (int i = 0; i < 50 && !fresh; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        fresh = !predict(key_b, {{"horizon_hours", 1}}).body["predictions"][0]["cached"].get<bool>();
    }
    EXPECT_TRUE(fresh);
}

TEST_F(ApiTest, RedisDownMeansDegradedNotDown) {
    predict(key_a, {{"target_hour", "2009-01-25T10:00"}});
    redis->stop();
    const Reply ready = call("GET", "/readyz", "");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body["status"], "degraded");
    EXPECT_EQ(ready.body["missing"], Json::array({"redis"}));
    const Reply r = predict(key_a, {{"target_hour", "2009-01-25T11:00"}});
    EXPECT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(metric("voltedge_redis_up"), "0");

    redis->start();  // empty again: a fresh Redis
    bool back = false;
    for (int i = 0; i < 40 && !back; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        back = call("GET", "/readyz", "").body["status"] == "ready";
    }
    EXPECT_TRUE(back);
    // Caching into Redis resumes: another server process (a second instance) finds what this one stored.
    predict(key_a, {{"target_hour", "2009-01-25T12:00"}});
    Config config = test::config();
    config.redis_url = redis->url();
    api::ApiServer second(config, test::serve_options(4));
    second.start();
    wait_for_model(key_a, second.port());
    const Reply res = call("POST", "/predict", key_a, R"({"target_hour": "2009-01-25T12:00"})", {}, second.port());
    ASSERT_EQ(res.status, 200);
    EXPECT_TRUE(res.body["predictions"][0]["cached"].get<bool>()) << res.text;
    const Reply metrics = call("GET", "/metrics", "", "", {}, second.port());
    EXPECT_NE(metrics.text.find("voltedge_prediction_cache_hits_total{layer=\"redis\"} 1"), std::string::npos);
}

TEST_F(ApiTest, ReloadAfterPromotionServesTheNewVersion) {
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const auto current = mlflow.alias(tenant_b, "production");
    ASSERT_EQ(predict(key_b, {{"horizon_hours", 1}}).body["model"]["version"], current->version);  // loaded and serving
    // A new registered version (same artifacts) promoted to production.
    const auto next = mlflow.create_version(tenant_b, {current->run_id, ""}, "model", {{"family", "linear"}});
    auto conn = db::connect(test::config().database_url);
    serving::move_alias(mlflow, conn, tenant_b, "production", next.version, "test", "test");

    EXPECT_EQ(predict(key_b, {{"horizon_hours", 1}}).body["model"]["version"], current->version);  // until reloaded
    EXPECT_EQ(call("POST", "/reload", key_b, "{}").status, 403);  // a tenant key is not an admin key

    // Requests keep flowing during the reload; none fails.
    std::atomic<bool> done{false};
    std::atomic<int> failures{0}, served{0};
    std::thread load([&] {
        while (!done) {
            const int status = predict(key_b, {{"horizon_hours", 2}}).status;
            failures += status != 200;
            ++served;
        }
    });
    const Reply r = call("POST", "/reload", operator_key, Json{{"tenant", tenant_b}}.dump());
    done = true;
    load.join();
    ASSERT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(r.body["models"][0]["version"], next.version);
    EXPECT_EQ(r.body["models"][0]["previous_version"], current->version);
    EXPECT_TRUE(r.body["models"][0]["changed"].get<bool>());
    EXPECT_EQ(failures, 0);
    EXPECT_GT(served, 0);
    EXPECT_EQ(predict(key_b, {{"horizon_hours", 1}}).body["model"]["version"], next.version);
    EXPECT_NE(call("GET", "/metrics", operator_key).text.find("version=\"" + next.version + "\""), std::string::npos);

    // The key's role decides before the body does; a POST with no body at all (no Content-Length) has an
    // empty body, which /reload accepts (every tenant).
    const auto no_body = [](const std::string& key) {
        return "POST /reload HTTP/1.1\r\nHost: test\r\nX-API-Key: " + key + "\r\nConnection: close\r\n\r\n";
    };
    EXPECT_EQ(raw_status(server->port(), no_body(key_b)), 403);
    EXPECT_EQ(raw_status(server->port(), no_body(admin_key)), 200);
}

TEST_F(ApiTest, KeysDecideTheTenantAndOthersDataIsInvisible) {
    const Reply a = predict(key_a, {{"horizon_hours", 1}});
    const std::string id_a = a.body["predictions"][0]["id"];
    EXPECT_EQ(a.body["tenant_id"], tenant_a);
    EXPECT_EQ(predict(key_b, {{"horizon_hours", 1}}).body["tenant_id"], tenant_b);
    // Another tenant's prediction id is the same 404 as a missing one.
    const Reply other = call("GET", "/explain/" + id_a, key_b);
    const Reply missing = call("GET", "/explain/00000000-0000-4000-8000-000000000000", key_b);
    EXPECT_EQ(other.status, 404);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(call("GET", "/explain/" + id_a, key_a).status, 200);

    EXPECT_EQ(call("POST", "/predict", "", R"({"horizon_hours": 1})").status, 401);
    EXPECT_EQ(call("POST", "/predict", "ve_00000000_nope", R"({"horizon_hours": 1})").status, 401);
    EXPECT_EQ(call("POST", "/predict", "", R"({"horizon_hours": 1})", {"Authorization: Bearer " + key_a}).status, 200);
    EXPECT_EQ(call("GET", "/explain/" + id_a, "").status, 401);

    const std::string doomed = security::issue_api_key(test::config().database_admin_url, tenant_a, false, "test");
    EXPECT_EQ(predict(doomed, {{"horizon_hours", 1}}).status, 200);
    ASSERT_TRUE(security::revoke_api_key(test::config().database_admin_url, tenant_a, doomed.substr(3, 8), "test"));
    EXPECT_EQ(predict(doomed, {{"horizon_hours", 1}}).status, 401);
}

// Plan T-63 through SQL, as the application role: usage, features and predictions.
TEST_F(ApiTest, TenantsCannotReadOrWriteEachOthersRows) {
    predict(key_a, {{"horizon_hours", 2}});
    predict(key_b, {{"horizon_hours", 2}});
    auto conn = db::connect(test::config().database_url);
    for (const std::string table : {"usage_hourly", "features_hourly", "predictions"}) {
        const long own_a = test::count_as_app(conn, tenant_a, "SELECT 1 FROM " + table + " WHERE tenant_id = '" + tenant_a + "'");
        EXPECT_GT(own_a, 0) << table;
        EXPECT_EQ(test::count_as_app(conn, tenant_b, "SELECT 1 FROM " + table + " WHERE tenant_id = '" + tenant_a + "'"), 0)
            << table;
        EXPECT_EQ(test::count_as_app(conn, "", "SELECT 1 FROM " + table), 0) << table;  // no tenant: nothing
        // Writing as the other tenant is refused by the policy's WITH CHECK; updating its rows touches none.
        EXPECT_THROW(
            db::with_tenant(conn, tenant_b,
                            [&](auto& tx) { tx.exec_params("UPDATE " + table + " SET tenant_id = $1 WHERE true", tenant_a); }),
            pqxx::sql_error)
            << table;
    }
    EXPECT_THROW(db::with_tenant(
                     conn, tenant_b,
                     [&](auto& tx) {
        tx.exec_params("INSERT INTO predictions (tenant_id, id, target_hour, horizon_hours, origin_hour, value_kw, model_name, "
                       "model_version, model_family, inputs, request_id) VALUES ($1, gen_random_uuid(), now(), 1, now(), 1, "
                       "'m', '1', 'linear', '{}', 'r')",
                       tenant_a);
                     }),
                 pqxx::sql_error);

    // A pool of one connection alternating between tenants never carries one tenant's context to the next.
    db::ConnectionPool pool(test::config().database_url, 1);
    for (int i = 0; i < 6; ++i) {
        const std::string& t = i % 2 ? tenant_b : tenant_a;
        auto lease = pool.acquire();
        const long theirs = test::count_as_app(*lease, t, "SELECT 1 FROM predictions WHERE tenant_id <> '" + t + "'");
        const long own = test::count_as_app(*lease, t, "SELECT 1 FROM predictions WHERE tenant_id = '" + t + "'");
        EXPECT_EQ(theirs, 0);
        EXPECT_GT(own, 0);
        EXPECT_EQ(test::count_as_app(*lease, "", "SELECT 1 FROM predictions"), 0);
        pqxx::work tx(*lease);
        EXPECT_EQ(tx.exec("SELECT coalesce(current_setting('app.tenant_id', true), '')")[0][0].as<std::string>(), "");
    }
}

TEST_F(ApiTest, BadInputIsA4xxNamingTheField) {
    struct Case {
        std::string body;
        int status;
        std::string field;
    };
    const std::vector<Case> cases = {
        {"not json", 400, "body"},
        {"[1, 2]", 400, "body"},
        {"{}", 422, "body"},
        {R"({"horizon_hours": 1, "target_hour": "2009-01-20T10:00"})", 422, "horizon_hours"},
        {R"({"horizon": 3})", 422, "horizon"},
        {R"({"horizon_hours": "3"})", 422, "horizon_hours"},
        {R"({"horizon_hours": 2.5})", 422, "horizon_hours"},
        {R"({"horizon_hours": 0})", 422, "horizon_hours"},
        {R"({"horizon_hours": 49})", 422, "horizon_hours"},
        {R"({"horizon_hours": 30})", 422, "horizon_hours"},  // beyond the model's 24 h
        {R"({"horizon_hours": 99999999999999999999})", 422, "horizon_hours"},
        {R"({"target_hour": 12})", 422, "target_hour"},
        {R"({"target_hour": "yesterday"})", 422, "target_hour"},
        {R"({"target_hour": "2009-02-30T10:00"})", 422, "target_hour"},
        {R"({"target_hour": "2009-01-20T10:30"})", 422, "target_hour"},
        {R"({"target_hour": "1999-01-01T00:00"})", 422, "target_hour"},
        {R"({"target_hour": "2030-01-01T00:00"})", 422, "target_hour"},
        {R"({"target_hours": []})", 422, "target_hours"},
        {R"({"target_hours": "2009-01-20T10:00"})", 422, "target_hours"},
        {R"({"target_hours": ["2009-01-20T10:00", null]})", 422, "target_hours[1]"},
        {R"({"target_hours": ["2030-01-01T00:00"]})", 422, "target_hours[0]"},
    };
    for (const auto& c : cases) {
        const Reply r = call("POST", "/predict", key_a, c.body);
        EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.text;
        EXPECT_EQ(r.body["error"].value("field", ""), c.field) << c.body;
        EXPECT_FALSE(r.body["error"].value("message", "").empty()) << c.body;
    }
    Json batch = {{"target_hours", Json::array()}};
    for (int i = 0; i < 169; ++i) batch["target_hours"].push_back("2009-01-20T10:00");
    EXPECT_EQ(predict(key_a, batch).status, 413);
    EXPECT_EQ(call("POST", "/predict", key_a, std::string(100'000, ' ')).status, 413);
    EXPECT_EQ(call("GET", "/explain/not-an-id", key_a).status, 422);
    EXPECT_EQ(call("GET", "/explain/../../etc/passwd", key_a).status, 404);
    EXPECT_EQ(call("POST", "/reload", admin_key, R"({"tenant": 5})").status, 422);
    EXPECT_EQ(call("POST", "/reload", admin_key, R"({"everyone": true})").status, 422);
    EXPECT_EQ(call("GET", "/nowhere", "").status, 404);
    // What the transport refuses is the same JSON error, with a request id: a chunked body over the limit,
    // a compressed body, an unknown method (with Allow).
    std::string chunked = "POST /predict HTTP/1.1\r\nHost: t\r\nX-API-Key: " + key_a + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 80; ++i) chunked += "400\r\n" + std::string(1024, ' ') + "\r\n";
    EXPECT_EQ(raw_status(server->port(), chunked + "0\r\n\r\n"), 413);
    const Reply gzip = call("POST", "/predict", key_a, "\x1f\x8b", {"Content-Encoding: gzip"});
    EXPECT_EQ(gzip.status, 415);
    EXPECT_EQ(gzip.body["error"]["field"], "Content-Encoding");
    EXPECT_FALSE(gzip.body.value("request_id", "").empty());
    EXPECT_EQ(call("DELETE", "/predict", key_a).status, 405);
    // None of it was a server error.
    EXPECT_EQ(call("GET", "/metrics", "").text.find("status=\"500\""), std::string::npos);
}

TEST_F(ApiTest, HealthReadinessDocsAndLogs) {
    EXPECT_EQ(call("GET", "/healthz", "").body["status"], "ok");
    {
        // A server with no model loaded yet is alive but not ready, and says why.
        api::ApiServer fresh(test::config(), test::serve_options());
        fresh.start();
        const Reply r = call("GET", "/readyz", "", "", {}, fresh.port());
        EXPECT_EQ(r.status, 503);
        EXPECT_EQ(r.body["missing"], Json::array({"model"}));
    }
    predict(key_a, {{"horizon_hours", 1}});  // loads tenant a's model
    const Reply ready = call("GET", "/readyz", operator_key);
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body["models"][tenant_a],
              registry::Mlflow(test::config().mlflow_tracking_uri).alias(tenant_a, "production")->version);

    // The OpenAPI document covers every route the server answers, and the docs page renders it.
    const Reply spec = call("GET", "/openapi.json", "");
    EXPECT_EQ(spec.body["openapi"], "3.1.0");
    for (const auto& route : api::routes()) {
        std::string method = route.method;
        std::transform(method.begin(), method.end(), method.begin(), ::tolower);
        EXPECT_TRUE(spec.body["paths"].contains(route.path) && spec.body["paths"][route.path].contains(method)) << route.path;
    }
    EXPECT_NE(call("GET", "/docs", "").text.find("/explain/{id}"), std::string::npos);

    // One JSON line per request, keeping the caller's request id.
    testing::internal::CaptureStderr();
    const Reply r = call("POST", "/predict", key_a, R"({"horizon_hours": 1})", {"X-Request-ID: trace-abc-123"});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string logs = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.body["request_id"], "trace-abc-123");
    Json line;
    std::istringstream in(logs);
    for (std::string l; std::getline(in, l);)
        if (auto j = Json::parse(l, nullptr, false); !j.is_discarded() && j.value("request_id", "") == "trace-abc-123") line = j;
    ASSERT_FALSE(line.is_null()) << logs;
    EXPECT_EQ(line["tenant_id"], tenant_a);
    EXPECT_EQ(line["route"], "/predict");
    EXPECT_EQ(line["status"], 200);
    EXPECT_TRUE(line["latency_ms"].is_number());
    EXPECT_EQ(line["model_version"], r.body["model"]["version"]);
    EXPECT_TRUE(line["cache"] == "hit" || line["cache"] == "miss");
}

}  // namespace
