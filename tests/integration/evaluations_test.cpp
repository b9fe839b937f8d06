// Evaluations against the real Postgres and MLflow: a version scored on the hours after its training, results
// stored with their thresholds and logged to its run, drift that triggers retraining, and the SLO check's exit
// codes from what the API served.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "api/server.h"
#include "cli/job_handlers.h"
#include "core/error.h"
#include "db/connection.h"
#include "db/pool.h"
#include "evaluations/canary.h"
#include "evaluations/forecast_eval.h"
#include "evaluations/results.h"
#include "evaluations/slo.h"
#include "features/feature_store.h"
#include "registry/mlflow.h"
#include "security/tenants.h"
#include "serving/promotion.h"
#include "serving/canary.h"
#include "serving/serving_stats.h"
#include "training/train.h"
#include "support.h"

using namespace voltedge;

namespace {

void rebuild_features(const std::string& tenant) {
    auto conn = db::connect(test::config().database_url);
    features::FeatureOptions o;
    o.tenant = tenant;
    features::build_features(conn, o);
}

std::pair<int, std::string> run_cli(const std::string& args, const std::string& extra_env = "") {
    const std::string env = "DATABASE_URL='" + test::config().database_url + "' VOLTEDGE_SLO='" + VOLTEDGE_SOURCE_DIR +
                            "/configs/slo.json' " + extra_env + " ";
    std::string out;
    FILE* p = popen((env + VOLTEDGE_BIN + " " + args + " 2>&1").c_str(), "r");
    char buf[4096];
    while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    return {WEXITSTATUS(pclose(p)), out};
}

}  // namespace

TEST(Evaluations, AVersionIsScoredOnTheHoursAfterItsTrainingAndDriftTriggersRetraining) {
    const std::string tenant = test::new_tenant("eval");
    // 120 days, so the 90 days drift compares with are past the first week's partial weekly windows.
    test::insert_usage(tenant, 120);
    test::train_and_promote(tenant, "linear");
    test::insert_usage(tenant, 10, 120);  // ten more days of the same
    rebuild_features(tenant);

    auto conn = db::connect(test::config().database_url);
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const auto e = evaluations::evaluate_forecast(conn, mlflow, mlflow, tenant, "production", {1, 24});
    EXPECT_EQ(e.stage, "production");
    EXPECT_EQ(e.window_first, "2009-05-01 00:00:00");  // the first hour after training
    ASSERT_EQ(e.leads.size(), 2u);
    for (const auto& l : e.leads) {
        EXPECT_EQ(l.hours, 240u) << l.lead;
        ASSERT_TRUE(l.backtest_mae) << l.lead;
        EXPECT_LT(l.mae, l.persistence_mae) << "the daily pattern is learnable; persistence misses it at lead " << l.lead;
        EXPECT_LT(l.mae, 2 * *l.backtest_mae + 0.05) << l.lead;
    }
    EXPECT_LT(e.max_psi(), 0.25) << e.drift.front().feature;  // the same process: no drift

    // As a job: stored with the production margin, and logged to the version's run.
    jobs::HandlerRegistry handlers;
    Config config = test::config();
    config.slo = std::string(VOLTEDGE_SOURCE_DIR) + "/configs/slo.json";
    config.retrain_after_days = 30;  // ten days of new data alone do not call for retraining
    cli::register_job_handlers(handlers, config);
    const auto result = handlers.run({"eval", tenant, {{"suite", "forecast"}}});
    EXPECT_EQ(result["breaches"], 0) << result.dump();
    const auto stored = evaluations::latest_result(conn, tenant, "model", "h1_mae", 1);
    ASSERT_TRUE(stored);
    EXPECT_NEAR(*stored->value, e.leads[0].mae, 1e-9);
    EXPECT_NEAR(*stored->threshold, *e.leads[0].backtest_mae * 1.10, 1e-9);
    EXPECT_EQ(stored->passed, true);
    EXPECT_EQ(mlflow.run(e.run_id).metrics.count("eval_h1_mae"), 1u);
    EXPECT_FALSE(evaluations::latest_result(conn, test::new_tenant("eval-b"), "model", "h1_mae", 1));  // tenants apart

    // Ten days 3 kW higher: the load and its lags drift, the forecast misses by about that much, retrain runs.
    const auto before = handlers.run({"retrain", tenant, {{"config_path", ""}}});
    EXPECT_EQ(before["retrained"], false) << before.dump();
    test::insert_usage(tenant, 10, 130, 3.0);
    rebuild_features(tenant);
    const auto drifted = evaluations::evaluate_forecast(conn, mlflow, mlflow, tenant, "production", {1, 24});
    EXPECT_GT(drifted.max_psi(), 0.25);
    const auto failing = handlers.run({"eval", tenant, {{"suite", "forecast"}}});
    EXPECT_GE(failing["breaches"].get<int>(), 1) << failing.dump();
    EXPECT_EQ(evaluations::latest_result(conn, tenant, "model", "max_psi", 1)->passed, false);

    const auto train_config = std::filesystem::temp_directory_path() / ("voltedge-eval-" + tenant + ".json");
    std::ofstream(train_config) << R"({"families": ["linear"], "folds": 1, "fold_days": 7, "horizons": [1, 24]})";
    const auto retrained = handlers.run({"retrain", tenant, {{"config_path", train_config.string()}}});
    std::filesystem::remove(train_config);
    EXPECT_EQ(retrained["retrained"], true);
    EXPECT_NE(retrained["reason"].get<std::string>().find("drift"), std::string::npos) << retrained.dump();
}

TEST(Evaluations, SloCheckExitsOneOnABreachOfWhatTheApiServed) {
    const std::string tenant = test::new_tenant("slo");
    db::ConnectionPool pool(test::config().database_url, 1);
    {
        serving::ServingStats stats(pool, std::chrono::milliseconds(0));
        for (int i = 0; i < 100; ++i) stats.record(tenant, "3", 4.0 + i % 5, false);
    }  // flushed when it goes
    const auto [ok_rc, ok_out] = run_cli("slo check --tenant " + tenant);
    EXPECT_EQ(ok_rc, 0) << ok_out;
    EXPECT_NE(ok_out.find("api p95 latency"), std::string::npos);
    EXPECT_NE(ok_out.find("100 forecast requests"), std::string::npos) << ok_out;

    {
        serving::ServingStats stats(pool, std::chrono::milliseconds(0));
        for (int i = 0; i < 20; ++i) stats.record(tenant, "3", 700, true);  // slow failures
    }
    const auto [bad_rc, bad_out] = run_cli("slo check --tenant " + tenant);
    EXPECT_EQ(bad_rc, 1) << bad_out;
    EXPECT_NE(bad_out.find("BREACH"), std::string::npos);
    auto conn = db::connect(test::config().database_url);
    const auto w = evaluations::serving_window(conn, tenant, "3", 60);
    EXPECT_EQ(w.requests, 120);
    EXPECT_EQ(w.errors, 20);
    EXPECT_EQ(w.p95_latency_ms, 1000);  // the bucket holding the 95th percentile: (500, 1000] ms

    const auto [missing_rc, missing_out] = run_cli("slo check --tenant " + tenant, "VOLTEDGE_SLO=/nonexistent.json");
    EXPECT_EQ(missing_rc, 1);
    EXPECT_NE(missing_out.find("cannot read the SLO file"), std::string::npos) << missing_out;
}

// Rollback: production goes back to the version it left (kept as `previous`), with an audit row, and a running
// API serves it within its refresh interval without failing a request.
TEST(Evaluations, RollbackReturnsProductionToThePreviousVersionAndTheApiFollows) {
    const std::string tenant = test::new_tenant("rollback");
    test::insert_usage(tenant, 30);
    test::train_and_promote(tenant, "linear");  // version 1
    auto conn = db::connect(test::config().database_url);
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    EXPECT_THROW(serving::rollback(mlflow, conn, tenant, "test", "no previous yet", "test"), Error);
    test::train_and_promote(tenant, "linear");  // version 2; version 1 becomes previous
    EXPECT_EQ(mlflow.alias(tenant, "previous")->version, "1");
    mlflow.set_alias(tenant, "canary", "2");
    mlflow.delete_alias(tenant, "canary");
    EXPECT_FALSE(mlflow.alias(tenant, "canary"));
    EXPECT_NO_THROW(mlflow.delete_alias(tenant, "canary"));  // not set: nothing to do

    auto options = test::serve_options();
    options.model_refresh = std::chrono::milliseconds(200);
    api::ApiServer server(test::config(), options);
    server.start();
    const std::string key = security::issue_api_key(test::config().database_admin_url, tenant, false, "test");
    const auto served_version = [&] {
        const auto r = test::call_api(server.port(), "POST", "/predict", key, R"({"horizon_hours": 1})");
        EXPECT_EQ(r.status == 200 || r.status == 503, true) << r.text;  // 503 only while the model first loads
        return r.status == 200 ? r.body["model"]["version"].get<std::string>() : std::string();
    };
    std::string version;
    for (int i = 0; i < 300 && version.empty(); ++i) {  // up to 30 s for the first load
        version = served_version();
        if (version.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(version, "2");

    const auto back = serving::rollback(mlflow, conn, tenant, "test", "a test says so", "test");
    EXPECT_EQ(back.version, "1");
    EXPECT_EQ(mlflow.alias(tenant, "production")->version, "1");
    EXPECT_EQ(mlflow.alias(tenant, "previous")->version, "2");
    EXPECT_EQ(test::count_as_app(conn, tenant,
                                 "SELECT 1 FROM audit_log WHERE action = 'model.rollback' AND details->>'version' = '1' "
                                 "AND details->>'reason' = 'a test says so'"),
              1);
    int failed = 0;
    for (int i = 0; i < 50 && version != "1"; ++i) {
        const auto r = test::call_api(server.port(), "POST", "/predict", key, R"({"horizon_hours": 1})");
        failed += r.status != 200;
        if (r.status == 200) version = r.body["model"]["version"];
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(version, "1");
    EXPECT_EQ(failed, 0);
    server.stop();
}

namespace {

// A deliberately bad version: version `base`'s linear models with `offset_kw` added to every forecast,
// registered as a new version of the tenant's forecaster.
std::string register_offset_version(registry::Mlflow& mlflow, const std::string& tenant, const std::string& base,
                                    double offset_kw) {
    const auto v = *mlflow.version(tenant, base);
    auto manifest = nlohmann::json::parse(mlflow.fetch(v, "bundle.json"));
    const auto run = mlflow.start_run(mlflow.experiment(training::experiment_name(tenant)), "offset", "test", "test", {});
    for (const auto& [hours, entry] : manifest["horizons"].items()) {
        auto model = nlohmann::json::parse(mlflow.fetch(v, entry["file"].get<std::string>()));
        model["intercept"] = model["intercept"].get<double>() + offset_kw;
        mlflow.upload(run, "model/" + entry["file"].get<std::string>(), model.dump());
    }
    mlflow.upload(run, "model/bundle.json", manifest.dump());
    mlflow.log(run, {}, {{"train_last_hour", mlflow.run(v.run_id).param("train_last_hour")}});
    mlflow.finish(run);
    return mlflow.create_version(tenant, run, "model", {{"family", "linear"}}).version;
}

// Traffic from several clients (keys) asking for hours already measured, so each forecast can be scored.
struct Traffic {
    std::atomic<bool> stop{false};
    std::atomic<int> sent{0}, failed{0};
    std::vector<std::thread> threads;
    Traffic(int port, const std::vector<std::string>& keys) {
        for (const auto& key : keys)
            threads.emplace_back([this, port, key] {
                for (int i = 0; !stop; ++i) {
                    const auto hour = fmt::format("2009-01-{:02d}T{:02d}:00", 20 + i % 9, i % 24);
                    const auto r = test::call_api(port, "POST", "/predict", key, R"({"target_hour": ")" + hour + "\"}");
                    ++sent;
                    if (r.status != 200) ++failed;
                }
            });
    }
    ~Traffic() {
        stop = true;
        for (auto& t : threads) t.join();
    }
};

}  // namespace

// A version whose forecasts are 2 kW off is canaried under real traffic: the controller sees its accuracy breach
// the SLO, rolls it back (share 0, alias gone, production untouched, audit row naming the breach), and no request
// fails. A sound version is then promoted through the same steps.
TEST(Evaluations, ABadCanaryIsRolledBackUnderTrafficAndAGoodOneIsPromoted) {
    const std::string tenant = test::new_tenant("canary");
    test::insert_usage(tenant, 30);
    test::train_and_promote(tenant, "linear");  // version 1
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const std::string bad = register_offset_version(mlflow, tenant, "1", 2.0);

    auto options = test::serve_options(4);
    options.model_refresh = std::chrono::milliseconds(200);
    options.cache = false;  // every request computes and stores its forecast
    api::ApiServer server(test::config(), options);
    server.start();
    // Routing is sticky per API key: four random keys all fell in the canary's 50 % one run in 16, and then
    // production served nothing to compare the canary with (accuracy is judged only with both measured). The
    // clients' keys cover both sides of the 50 % step.
    std::vector<std::string> keys;
    const auto routed = [](const std::string& key) { return serving::routed_to_canary(key.substr(3, 8), 50); };
    while (keys.size() < 4 || std::all_of(keys.begin(), keys.end(), routed) || std::none_of(keys.begin(), keys.end(), routed)) {
        if (keys.size() == 4) keys.erase(keys.begin());
        keys.push_back(security::issue_api_key(test::config().database_admin_url, tenant, false, "test"));
    }
    for (int i = 0; i < 300; ++i) {  // production loaded before traffic starts
        if (test::call_api(server.port(), "POST", "/predict", keys[0], R"({"horizon_hours": 1})").status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    auto conn = db::connect(test::config().database_url);
    auto slo = evaluations::load_slo(std::string(VOLTEDGE_SOURCE_DIR) + "/configs/slo.json");
    slo.min_requests = 5;
    evaluations::CanaryOptions o;
    o.version = bad;
    o.steps = {50, 100};
    o.interval = std::chrono::seconds(4);
    const auto sleep = [](std::chrono::seconds s) { std::this_thread::sleep_for(s); };
    evaluations::CanaryOutcome outcome;
    {
        Traffic traffic(server.port(), keys);
        outcome = evaluations::run_canary(conn, mlflow, tenant, o, slo, sleep, "test");
        EXPECT_EQ(traffic.failed, 0) << "of " << traffic.sent;
    }
    EXPECT_EQ(outcome.status, "rolled_back");
    EXPECT_NE(outcome.reason.find("accuracy"), std::string::npos) << outcome.reason;
    ASSERT_FALSE(outcome.steps.empty());
    EXPECT_GT(outcome.steps.back().canary_scored, 0u);
    EXPECT_GT(outcome.steps.back().canary_mae, 1.5);
    EXPECT_EQ(mlflow.alias(tenant, "production")->version, "1");
    EXPECT_FALSE(mlflow.alias(tenant, "canary"));
    EXPECT_EQ(serving::latest_rollout(conn, tenant)->status, "rolled_back");
    EXPECT_EQ(serving::latest_rollout(conn, tenant)->share, 0);
    EXPECT_EQ(test::count_as_app(
                  conn, tenant,
                  "SELECT 1 FROM audit_log WHERE action = 'model.canary_rollback' AND details->>'reason' LIKE '%accuracy%'"),
              1);
    EXPECT_GT(test::count_as_app(conn, tenant, "SELECT 1 FROM predictions WHERE model_version = '" + bad + "'"), 0);

    // A sound version (the same model, registered again) holds every step and becomes production.
    const std::string good = register_offset_version(mlflow, tenant, "1", 0.0);
    o.version = good;
    {
        Traffic traffic(server.port(), keys);
        outcome = evaluations::run_canary(conn, mlflow, tenant, o, slo, sleep, "test");
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the API picks up the promotion
        EXPECT_EQ(traffic.failed, 0);
        EXPECT_GT(traffic.sent, 20);
    }
    EXPECT_EQ(outcome.status, "promoted") << outcome.reason;
    EXPECT_EQ(mlflow.alias(tenant, "production")->version, good);
    EXPECT_EQ(mlflow.alias(tenant, "previous")->version, "1");
    EXPECT_FALSE(mlflow.alias(tenant, "canary"));
    const auto r = test::call_api(server.port(), "POST", "/predict", keys[1], R"({"horizon_hours": 1})");
    EXPECT_EQ(r.body["model"]["version"], good);
    server.stop();
}

// A canary that takes every request at once leaves production nothing to be compared on in the interval; the
// controller then compares it with what production served before the rollout, and a bad one is rolled back
// (it used to be promoted unjudged).
TEST(Evaluations, ACanaryAtAFullShareIsJudgedAgainstProductionBeforeIt) {
    const std::string tenant = test::new_tenant("canary-full");
    test::insert_usage(tenant, 30);
    test::train_and_promote(tenant, "linear");
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const std::string bad = register_offset_version(mlflow, tenant, "1", 2.0);
    auto options = test::serve_options(4);
    options.model_refresh = std::chrono::milliseconds(200);
    options.cache = false;
    api::ApiServer server(test::config(), options);
    server.start();
    std::vector<std::string> keys;
    for (int i = 0; i < 2; ++i) keys.push_back(security::issue_api_key(test::config().database_admin_url, tenant, false, "test"));
    auto conn = db::connect(test::config().database_url);
    const auto production_scored = [&] {
        return test::count_as_app(conn, tenant,
                                  "SELECT 1 FROM predictions p JOIN usage_hourly u ON u.tenant_id = p.tenant_id AND "
                                  "u.hour = p.target_hour WHERE p.model_version = '1'");
    };
    {
        Traffic before(server.port(), keys);  // production's served record before the rollout
        for (int i = 0; i < 300 && production_scored() < 20; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_GE(production_scored(), 20);

    auto slo = evaluations::load_slo(std::string(VOLTEDGE_SOURCE_DIR) + "/configs/slo.json");
    slo.min_requests = 5;
    evaluations::CanaryOptions o;
    o.version = bad;
    o.steps = {100};
    o.interval = std::chrono::seconds(4);
    // The interval starts once the API serves the canary (until it has loaded it, production answers), so in the
    // judged interval production serves nothing at all.
    const auto wait = [&](std::chrono::seconds s) {
        for (int i = 0; i < 300; ++i) {
            if (test::call_api(server.port(), "POST", "/predict", keys[0], R"({"horizon_hours": 1})").body["model"]["version"] ==
                bad)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        std::this_thread::sleep_for(s);
    };
    evaluations::CanaryOutcome outcome;
    {
        Traffic traffic(server.port(), keys);
        outcome = evaluations::run_canary(conn, mlflow, tenant, o, slo, wait, "test");
        EXPECT_EQ(traffic.failed, 0) << "of " << traffic.sent;
    }
    server.stop();
    EXPECT_EQ(outcome.status, "rolled_back") << outcome.reason;
    EXPECT_NE(outcome.reason.find("accuracy"), std::string::npos) << outcome.reason;
    ASSERT_EQ(outcome.steps.size(), 1u);
    EXPECT_TRUE(outcome.steps[0].accuracy_judged);
    EXPECT_GE(outcome.steps[0].production_scored, o.min_scored);
    EXPECT_GT(outcome.steps[0].production_window_seconds, o.interval.count());
    EXPECT_EQ(mlflow.alias(tenant, "production")->version, "1");
}

// batch_score stores the production version's next forecasts as predictions; the nightly evaluation posts its
// summary to the webhook (a local server stands in for the n8n flow that receives it).
TEST(Evaluations, BatchScoringStoresForecastsAndTheNightlySummaryReachesTheWebhook) {
    const std::string tenant = test::new_tenant("nightly");
    test::insert_usage(tenant, 30);
    test::train_and_promote(tenant, "linear");
    test::RecordingServer n8n(
        {{"POST", "/webhook/voltedge", [](const http::Request&, http::Response& res) { res.body = "{}"; }}});
    Config config = test::config();
    config.slo = std::string(VOLTEDGE_SOURCE_DIR) + "/configs/slo.json";
    config.eval_webhook_url = n8n.url() + "/webhook/voltedge";
    jobs::HandlerRegistry handlers;
    cli::register_job_handlers(handlers, config);

    jobs::Job batch("batch_score", tenant, {{"hours", 12}});
    batch.id = "batch-1";
    const auto scored = handlers.run(batch);
    EXPECT_EQ(scored["predictions"], 12);
    auto conn = db::connect(test::config().database_url);
    EXPECT_EQ(test::count_as_app(conn, tenant, "SELECT 1 FROM predictions WHERE request_id = 'batch:batch-1'"), 12);
    EXPECT_THROW(handlers.run({"batch_score", tenant, {{"hours", "many"}}}), Error);

    // No golden sets for this tenant: nightly is the forecast evaluation (nothing measured after training yet).
    const auto nightly = handlers.run({"eval", tenant, {{"suite", "nightly"}}});
    EXPECT_EQ(nightly["breaches"], 0);
    ASSERT_EQ(n8n.received().size(), 1u);
    const auto posted = nlohmann::json::parse(n8n.received()[0].body);
    EXPECT_EQ(posted["tenant"], tenant);
    EXPECT_EQ(posted["suite"], "nightly");
    EXPECT_NE(posted["summary"].get<std::string>().find("no measured hours after its training"), std::string::npos)
        << posted.dump();
}
