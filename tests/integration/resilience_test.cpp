// The API when its dependencies fail, against the real stack: MLflow frozen with SIGSTOP, Postgres restarted
// and stopped (scripts/devstack's fault commands), and who may see and do what with which key.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/server.h"
#include "http/client.h"
#include "security/tenants.h"
#include "support.h"

using namespace voltedge;
using Json = nlohmann::json;
using test::Reply;

namespace {

// Undoes a fault however the test ends, so the tests after it find the stack running.
class Fault {
public:
    Fault(const std::string& inject, std::string undo) : undo_(std::move(undo)) { test::devstack(inject); }
    ~Fault() { clear(); }
    void clear() {
        if (!undo_.empty()) test::devstack(std::exchange(undo_, ""));
    }

private:
    std::string undo_;
};

std::string hour(int i) {  // distinct target hours (i < 500) inside the synthetic data (2009-01-01 + 40 days)
    char buf[32];
    std::snprintf(buf, sizeof buf, "2009-01-%02dT%02d:00", 10 + i / 24, i % 24);
    return buf;
}

class ResilienceTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        tenant_a = test::new_tenant("res-a");
        tenant_c = test::new_tenant("res-c");
        for (const auto& t : {tenant_a, tenant_c}) {
            test::insert_usage(t, 40);
            test::train_and_promote(t, "linear");
        }
        const auto& admin_url = test::config().database_admin_url;
        key_a = security::issue_api_key(admin_url, tenant_a, false, "test");
        key_c = security::issue_api_key(admin_url, tenant_c, false, "test");
        admin_a = security::issue_api_key(admin_url, tenant_a, true, "test");
        operator_key = security::issue_operator_key(admin_url, "test");
    }

    static api::ServeOptions options() {
        api::ServeOptions o = test::serve_options(8);
        o.db_connections = 4;
        o.model_load_timeout = std::chrono::seconds(2);
        return o;
    }

    void start(const api::ServeOptions& o) {
        server = std::make_unique<api::ApiServer>(test::config(), o);
        server->start();
        for (int i = 0; i < 300; ++i) {  // the model loads in the background
            if (predict(key_a, {{"horizon_hours", 1}}).status == 200) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL() << "tenant a's model did not load";
    }

    Reply call(const std::string& method, const std::string& path, const std::string& key, const std::string& body = "",
               long timeout_seconds = 30) {
        return test::call_api(server->port(), method, path, key, body, {}, timeout_seconds);
    }
    Reply predict(const std::string& key, const Json& body, long timeout_seconds = 30) {
        return call("POST", "/predict", key, body.dump(), timeout_seconds);
    }

    static inline std::string tenant_a, tenant_c, key_a, key_c, admin_a, operator_key;
    std::unique_ptr<api::ApiServer> server;
};

// The issue's finding: with MLflow frozen, requests for a tenant whose model was not loaded tied up every
// handler thread for minutes. Now the registry is never on a request's path.
TEST_F(ResilienceTest, FrozenMlflowCostsOnlyTheTenantsStillLoading) {
    start(options());
    Fault frozen("mlflow freeze", "mlflow thaw");
    EXPECT_THROW(http::send({"GET", test::config().mlflow_tracking_uri + "/health", "", {}, 1, 1}), http::Unreachable);
    std::atomic<int> c_loading{0}, c_other{0};
    std::vector<std::thread> crowd;
    for (int t = 0; t < 8; ++t)
        crowd.emplace_back([&] {
            for (int i = 0; i < 16; ++i) {
                const Reply r = predict(key_c, {{"horizon_hours", 1}}, 10);
                const bool loading = r.status == 503 && r.header("retry-after") != "" &&
                                     r.body["error"]["message"].get<std::string>().find("loading") != std::string::npos;
                (loading ? c_loading : c_other)++;
            }
        });
    int a_served = 0;
    for (int i = 0; i < 50; ++i) a_served += predict(key_a, {{"target_hour", hour(i)}}, 5).status == 200;
    for (auto& t : crowd) t.join();
    EXPECT_EQ(a_served, 50);  // the other tenant, loaded, is served throughout (each within 5 s)
    EXPECT_EQ(c_loading, 128);
    EXPECT_EQ(c_other, 0);
    // One load for tenant c however many asked (single flight); a failed one is not retried per request.
    EXPECT_LE(call("GET", "/readyz", operator_key).body["model_loads_pending"].get<int>(), 1);

    frozen.clear();
    bool served = false;
    for (int i = 0; i < 300 && !served; ++i) {  // retried after the failure backoff (10 s)
        served = predict(key_c, {{"horizon_hours", 1}}).status == 200;
        if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(served);
}

// After a Postgres restart every pooled connection is dead; no request may be the one to find out.
TEST_F(ResilienceTest, NoRequestFailsAfterAPostgresRestart) {
    api::ServeOptions o = options();
    o.key_cache_ttl = std::chrono::milliseconds(0);  // every request resolves its key in the database
    start(o);
    std::vector<std::thread> warm;  // every pooled connection opened
    for (int t = 0; t < 8; ++t) warm.emplace_back([&, t] { predict(key_a, {{"target_hour", hour(100 + t)}}); });
    for (auto& t : warm) t.join();

    test::devstack("postgres restart");
    std::atomic<int> failed{0}, ok{0};
    std::vector<std::thread> load;
    for (int t = 0; t < 4; ++t)
        load.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {  // uncached: each stores its prediction
                const Reply r = predict(key_a, {{"target_hour", hour(200 + t * 10 + i)}});
                (r.status == 200 ? ok : failed)++;
                if (r.status != 200) ADD_FAILURE() << r.status << " " << r.text;
            }
        });
    for (auto& t : load) t.join();
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(ok, 40);
    const Reply p = predict(key_a, {{"target_hour", hour(300)}});
    ASSERT_EQ(p.status, 200);
    EXPECT_EQ(call("GET", "/explain/" + p.body["predictions"][0]["id"].get<std::string>(), key_a).status, 200);
    EXPECT_GE(call("GET", "/readyz", operator_key).body["db_connections_replaced"].get<int>(), 1);
}

// A short outage: forecasts already cached keep being served, marked stale; anything needing the database
// fails at once with a 503 that discloses nothing about it.
TEST_F(ResilienceTest, CachedForecastsOutliveADatabaseOutage) {
    api::ServeOptions o = options();
    o.key_cache_ttl = std::chrono::milliseconds(500);  // expires during the outage: the stale grace carries it
    start(o);
    const Json cached = {{"target_hour", hour(400)}};
    ASSERT_EQ(predict(key_a, cached).status, 200);

    Fault down("postgres stop", "postgres start");
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const Reply stale = predict(key_a, cached, 10);
    EXPECT_EQ(stale.status, 200) << stale.text;
    EXPECT_NE(stale.header("x-voltedge-stale"), "");
    EXPECT_TRUE(stale.body["predictions"][0]["cached"].get<bool>());

    const Reply uncached = predict(key_a, {{"target_hour", hour(401)}}, 10);
    const Reply unknown_key = predict("ve_0123abcd_" + std::string(64, 'e'), cached, 10);
    for (const Reply& r : {uncached, unknown_key}) {
        EXPECT_EQ(r.status, 503) << r.text;
        for (const char* secret : {"127.0.0.1", "25432", "voltedge_app", "postgres", "SELECT"})
            EXPECT_EQ(r.text.find(secret), std::string::npos) << secret << " in " << r.text;
    }

    down.clear();
    bool fresh = false;
    for (int i = 0; i < 100 && !fresh; ++i) {
        const Reply r = predict(key_a, cached);
        fresh = r.status == 200 && r.header("x-voltedge-stale").empty();
        if (!fresh) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(fresh);
    EXPECT_EQ(predict(key_a, {{"target_hour", hour(401)}}).status, 200);
}

TEST_F(ResilienceTest, KeyScopesDecideWhoReloadsAndWhoSeesDetail) {
    start(options());
    EXPECT_EQ(call("POST", "/reload", key_a, "").status, 403);
    // A tenant-admin key reloads its own tenant (by default, or by name), never another, known or not.
    const Reply own = call("POST", "/reload", admin_a, "");
    ASSERT_EQ(own.status, 200) << own.text;
    ASSERT_EQ(own.body["models"].size(), 1u);
    EXPECT_EQ(own.body["models"][0]["tenant_id"], tenant_a);
    EXPECT_EQ(call("POST", "/reload", admin_a, Json{{"tenant", tenant_a}}.dump()).status, 200);
    EXPECT_EQ(call("POST", "/reload", admin_a, Json{{"tenant", tenant_c}}.dump()).status, 403);
    EXPECT_EQ(call("POST", "/reload", admin_a, R"({"tenant": "no-such-tenant"})").status, 403);
    // An operator reloads any tenant; an unknown one is a 404 and leaves nothing behind.
    const Reply c = call("POST", "/reload", operator_key, Json{{"tenant", tenant_c}}.dump());
    ASSERT_EQ(c.status, 200) << c.text;
    EXPECT_EQ(c.body["models"][0]["tenant_id"], tenant_c);
    EXPECT_EQ(call("POST", "/reload", operator_key, R"({"tenant": "no-such-tenant"})").status, 404);
    EXPECT_EQ(call("POST", "/predict", operator_key, R"({"horizon_hours": 1})").status, 403);  // acts for no tenant

    // Detail (tenant ids, versions) for operators only; the probes themselves stay open.
    for (const std::string& key : {std::string(), key_a, admin_a}) {
        const Reply ready = call("GET", "/readyz", key);
        EXPECT_EQ(ready.status, 200);
        EXPECT_FALSE(ready.body.contains("models"));
        EXPECT_EQ(ready.text.find(tenant_a), std::string::npos);
        const Reply metrics = call("GET", "/metrics", key);
        EXPECT_EQ(metrics.status, 200);
        EXPECT_EQ(metrics.text.find(tenant_a), std::string::npos);
        EXPECT_EQ(metrics.text.find("voltedge_model_info"), std::string::npos);
    }
    const Reply ready = call("GET", "/readyz", operator_key);
    EXPECT_TRUE(ready.body["models"].contains(tenant_a));
    EXPECT_TRUE(ready.body["models"].contains(tenant_c));
    EXPECT_FALSE(ready.body["models"].contains("no-such-tenant"));
    EXPECT_EQ(ready.body["model_loads_pending"], 0);
    EXPECT_NE(call("GET", "/metrics", operator_key).text.find("voltedge_model_info{tenant=\"" + tenant_a), std::string::npos);
    EXPECT_EQ(call("GET", "/metrics", "ve_0123abcd_" + std::string(64, 'e')).status, 401);
}

}  // namespace
